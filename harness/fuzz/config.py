"""Fuzz options and their translation into a schemathesis configuration.

The configuration is built as the same dictionary a ``schemathesis.toml`` would hold and
loaded with :meth:`schemathesis.Config.from_dict`, so every knob is a documented schemathesis
setting, validated by schemathesis itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemathesis import Config

import harness.fuzz.checks  # noqa: F401 - registers the proxy-wide checks

PHASES = ("examples", "coverage", "fuzzing", "stateful")

CONTRACT_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "ignored_auth",
    "missing_required_header",
    "unsupported_method",
    "no_secret_leak",
    "no_stack_trace",
    "error_envelope",
)
"""Every check that applies to a read-only API (the stateful resource checks do not)."""

ACCEPTED_STATUSES = ("200", "404")
"""What a valid request may get from the proxy over a healthy upstream (404: unknown id)."""

SERVER_ERROR_ALLOWED = ("2xx", "3xx", "4xx")
"""Statuses ``not_a_server_error`` lets through in a healthy run: any 5xx is a failure."""


@dataclass(frozen=True)
class FuzzOptions:
    """One fuzz run's settings: what `harness fuzz` exposes, with schemathesis' meaning."""

    max_examples: int = 100
    seed: int | None = None
    phases: tuple[str, ...] = PHASES
    workers: int = 1
    mode: str = "all"
    """``positive``, ``negative`` or ``all``: schemathesis' ``generation.mode``."""
    checks: tuple[str, ...] = CONTRACT_CHECKS
    accepted_statuses: tuple[str, ...] = ACCEPTED_STATUSES
    allowed_statuses: tuple[str, ...] = SERVER_ERROR_ALLOWED
    secrets: tuple[str, ...] = field(default=(), repr=False)
    request_timeout: float = 30.0
    max_requests: int | None = None
    """Stop a run after this many requests, all phases included (``None``: no bound)."""
    spec_path: Path | None = None
    """The spec the in-process proxy serves (``None``: the proxy's default)."""
    manifest_path: Path | None = None
    """The manifest the in-process proxy serves (``None``: the proxy's default)."""

    def __post_init__(self) -> None:
        unknown = sorted(set(self.phases) - set(PHASES))
        if unknown:
            raise ValueError(
                f"unknown phase(s) {', '.join(unknown)}; choose from {', '.join(PHASES)}"
            )
        if self.max_examples < 1:
            raise ValueError(f"max_examples must be >= 1, got {self.max_examples}")
        if self.max_requests is not None and self.max_requests < 1:
            raise ValueError(f"max_requests must be >= 1, got {self.max_requests}")
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}")


def config_document(options: FuzzOptions, headers: Mapping[str, str]) -> dict[str, Any]:
    """The ``schemathesis.toml`` equivalent of ``options`` (``headers`` carry the auth)."""
    document: dict[str, Any] = {
        "headers": dict(headers),
        "workers": options.workers,
        "request-timeout": options.request_timeout,
        "generation": {
            "max-examples": options.max_examples,
            "mode": options.mode,
            "database": "none",
        },
        "phases": {phase: {"enabled": phase in options.phases} for phase in PHASES},
        "checks": _checks_section(options.checks, options),
        # Schemathesis' warnings are advice for schema authors; the checks decide the verdict.
        "warnings": False,
    }
    if options.seed is not None:
        document["seed"] = options.seed
    return document


def _checks_section(names: Sequence[str], options: FuzzOptions) -> dict[str, Any]:
    section: dict[str, Any] = {"enabled": False}
    for name in names:
        section[name] = {"enabled": True}
    if "positive_data_acceptance" in names:
        section["positive_data_acceptance"]["expected-statuses"] = list(options.accepted_statuses)
    if "not_a_server_error" in names:
        section["not_a_server_error"]["expected-statuses"] = list(options.allowed_statuses)
    if "no_secret_leak" in names and options.secrets:
        section["no_secret_leak"]["secrets"] = list(options.secrets)
    return section


def schemathesis_config(options: FuzzOptions, headers: Mapping[str, str]) -> Config:
    """A schemathesis configuration for ``options``, validated by schemathesis."""
    return Config.from_dict(config_document(options, headers))
