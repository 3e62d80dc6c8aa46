"""What `harness eval` can be told (:class:`RunConfig`) and the checks of it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.contract.load import DEFAULT_MANIFEST_PATH, DEFAULT_SPEC_PATH
from harness.errors import InputError
from harness.eval.shard import Shard
from harness.eval.suite import Case
from harness.models.catalog import DEFAULT_LOCAL_MODEL

# Settings a resumed run takes from its run.json, so all its results are comparable.
RESUMED_SETTINGS = (
    "backend",
    "model",
    "local_model",
    "chat_format",
    "base_url",
    "temperature",
    "seed",
    "tool_choice",
    "strict",
    "execute",
    "max_turns",
    "repeat",
    "surface",
    "mcp_url",
    "affected_by",
)
SURFACES = ("openapi", "mcp")


class RunError(InputError):
    """A run that cannot start or continue (bad options, unreadable run directory)."""


@dataclass(frozen=True)
class RunConfig:
    """Everything `harness eval` can be told."""

    suite: Path = Path("prompts")
    spec: Path = DEFAULT_SPEC_PATH
    manifest: Path = DEFAULT_MANIFEST_PATH
    backend: str = "local"
    model: str | None = None
    local_model: str = DEFAULT_LOCAL_MODEL
    chat_format: str | None = None
    base_url: str | None = None
    temperature: float = 0.0
    seed: int | None = 0
    tool_choice: str = "auto"
    strict: bool = False
    execute: bool = False
    max_turns: int = 3
    concurrency: int = 4
    repeat: int = 1
    record: str = "none"
    cassettes: Path = Path("cassettes")
    out: Path = Path("reports")
    resume: Path | None = None
    case_ids: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    shard: Shard | None = None
    progress: bool = True
    surface: str = "openapi"
    """Where the model's tools come from: the spec (``openapi``) or an MCP ``tools/list``."""
    mcp_url: str | None = None
    """The MCP server for ``surface="mcp"``; ``None``: the proxy's own, in-process."""
    affected_by: str | None = None


def check_filters(cases: Iterable[Case], config: RunConfig) -> None:
    """Raise RunError for a --case or --tag that matches nothing, or a bad count option."""
    cases = list(cases)
    known_ids = {case.id for case in cases}
    unknown = sorted(set(config.case_ids) - known_ids)
    if unknown:
        raise RunError(f"no case with id {', '.join(unknown)} in {config.suite}")
    known_tags = {tag for case in cases for tag in case.tags}
    unknown = sorted(set(config.tags) - known_tags)
    if unknown:
        raise RunError(f"no case tagged {', '.join(unknown)} in {config.suite}")
    if config.repeat < 1:
        raise RunError("--repeat must be at least 1")
    if config.max_turns < 1:
        raise RunError("--max-turns must be at least 1")


def check_surface(config: RunConfig) -> None:
    """Raise RunError for an unknown surface, or an MCP URL without the MCP surface."""
    if config.surface not in SURFACES:
        raise RunError(f"unknown surface {config.surface!r} (choose {' or '.join(SURFACES)})")
    if config.mcp_url and config.surface != "mcp":
        raise RunError("--mcp-url needs --surface mcp")


def resumed_settings(run: dict[str, Any]) -> dict[str, Any]:
    """The settings of a run.json a resumed run keeps (see ``RESUMED_SETTINGS``)."""
    settings = {key: run[key] for key in RESUMED_SETTINGS if key in run}
    shard = run.get("shard")
    settings["shard"] = Shard(shard["index"], shard["count"]) if shard else None
    return settings
