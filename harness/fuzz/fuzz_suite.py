"""The fuzz suite: the contract run, then one run per upstream fault scenario.

The contract run fuzzes the proxy wired in-process to the offline mock (or a running proxy
at a URL) with every contract check. Each fault run builds a fresh proxy whose mock upstream
misbehaves (see :mod:`harness.fuzz.fault_scenarios`). All runs share one seed, so a whole suite is
reproduced by passing that seed back.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis import BaseSchema

from harness.fuzz.config import FuzzOptions, schemathesis_config
from harness.fuzz.fault_scenarios import FaultScenario
from harness.fuzz.runner import RunResult, curl_for, run_schema
from harness.fuzz.served import serve_on_loopback
from harness.proxy.public import SPEC_PATH

REPRODUCE_ORIGIN = "http://127.0.0.1:8000"
"""Where ``harness serve`` listens by default: failures of in-process runs are replayed there."""

ASGI_ORIGIN = "http://testserver"
"""The origin schemathesis' in-process client uses, as it appears in its curl samples."""

SERVER_ERROR_ALLOWED_UNDER_FAULTS = ("2xx", "3xx", "4xx", "502", "504")
"""Under a failing upstream the proxy may answer its documented 502/504, never another 5xx."""


@dataclass(frozen=True)
class ReportSpec:
    """Which schemathesis reports to write, and where (one sub-directory per run)."""

    formats: tuple[str, ...] = ()
    directory: Path | None = None

    def for_run(self, name: str) -> Path | None:
        return self.directory / name if self.directory is not None and self.formats else None


def new_seed() -> int:
    """A seed small enough to type back on the command line."""
    return random.SystemRandom().getrandbits(32)


def auth_headers(secret: str | None) -> dict[str, str]:
    """The bearer header the proxy expects for ``secret`` (none when auth is off)."""
    return {"Authorization": f"Bearer {secret}"} if secret else {}


def _options_for(options: FuzzOptions, secret: str | None) -> FuzzOptions:
    watched = tuple(value for value in (*options.secrets, secret) if value)
    return replace(options, secrets=watched)


def app_schema(app: Any, options: FuzzOptions, secret: str | None) -> BaseSchema:
    """The spec the in-process proxy serves, configured for ``options``."""
    config = schemathesis_config(_options_for(options, secret), auth_headers(secret))
    return schemathesis.openapi.from_asgi(SPEC_PATH, app, config=config)


def url_schema(url: str, options: FuzzOptions, secret: str | None) -> BaseSchema:
    """The spec a running proxy at ``url`` serves, configured for ``options``."""
    config = schemathesis_config(_options_for(options, secret), auth_headers(secret))
    return schemathesis.openapi.from_url(url.rstrip("/") + SPEC_PATH, config=config)


def _run(
    name: str,
    schema: BaseSchema,
    reports: ReportSpec,
    reproduce: Callable[[str], str],
    options: FuzzOptions,
) -> RunResult:
    return run_schema(
        schema,
        name=name,
        location=SPEC_PATH,
        reproduce=reproduce,
        formats=reports.formats,
        report_dir=reports.for_run(name),
        max_requests=options.max_requests,
    )


def run_contract_offline(
    options: FuzzOptions,
    secret: str,
    reports: ReportSpec = ReportSpec(),
    request_log: Path | None = None,
) -> RunResult:
    """Fuzz the proxy wired in-process to the healthy offline mock (logging every call to
    ``request_log``, from which budgets are measured)."""
    from harness.offline import create_offline_app

    app = create_offline_app(
        secret,
        request_log=request_log,
        spec_path=options.spec_path,
        manifest_path=options.manifest_path,
    )
    schema = app_schema(app, options, secret)
    return _run("contract", schema, reports, curl_for(ASGI_ORIGIN, REPRODUCE_ORIGIN), options)


def run_contract_url(
    url: str, options: FuzzOptions, secret: str | None, reports: ReportSpec = ReportSpec()
) -> RunResult:
    """Fuzz a running proxy at ``url`` (its origin, e.g. ``http://127.0.0.1:8000``)."""
    schema = url_schema(url, options, secret)
    return _run("contract", schema, reports, str, options)


FAULT_PHASES = ("examples", "fuzzing")
"""Invalid requests never reach the upstream, so fault runs send valid ones only: no coverage
phase (mostly boundary and invalid values) and positive generation."""


def fault_options(options: FuzzOptions, scenario: FaultScenario) -> FuzzOptions:
    """``options`` for valid requests only, with the status expectations of ``scenario``."""
    return replace(
        options,
        phases=tuple(phase for phase in options.phases if phase in FAULT_PHASES),
        mode="positive",
        accepted_statuses=scenario.expected_statuses,
        allowed_statuses=SERVER_ERROR_ALLOWED_UNDER_FAULTS,
    )


@contextmanager
def quiet_retry_warnings() -> Iterator[None]:
    """Hide the proxy's per-retry warnings (expected by the thousand under faults); errors stay."""
    logger = logging.getLogger("harness.proxy.upstream")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextmanager
def faulty_proxy(
    scenario: FaultScenario, secret: str, options: FuzzOptions | None = None
) -> Iterator[Any]:
    """The proxy in front of a mock that fails as ``scenario`` says."""
    from harness.mock.faults import Faults
    from harness.offline import create_offline_app

    faults = Faults(**scenario.faults)
    options = options or FuzzOptions()
    paths = {"spec_path": options.spec_path, "manifest_path": options.manifest_path}
    if scenario.proxy_timeout is None:
        yield create_offline_app(secret, faults=faults, **paths)
        return
    from harness.mock.app import create_mock_app
    from harness.offline import create_proxy
    from harness.proxy.settings import ProxySettings

    with serve_on_loopback(create_mock_app(faults=faults)) as mock_url:
        settings = ProxySettings(
            chatgpt_secret=secret,
            upstream_url=mock_url + _mock_path(),
            timeout=scenario.proxy_timeout,
            **{key: value for key, value in paths.items() if value is not None},
        )
        yield create_proxy(settings)


def _mock_path() -> str:
    from urllib.parse import urlsplit

    from harness.mock.app import MOCK_BASE_URL

    return urlsplit(MOCK_BASE_URL).path


def run_fault(
    scenario: FaultScenario, options: FuzzOptions, secret: str, reports: ReportSpec = ReportSpec()
) -> RunResult:
    """Fuzz the proxy while its upstream fails as ``scenario`` says."""
    with quiet_retry_warnings(), faulty_proxy(scenario, secret, options) as app:
        run_options = fault_options(options, scenario)
        schema = app_schema(app, run_options, secret)
        reproduce = curl_for(ASGI_ORIGIN, REPRODUCE_ORIGIN)
        return _run(f"fault-{scenario.name}", schema, reports, reproduce, run_options)


def summary_document(
    results: list[RunResult], budgets: dict[str, Any] | None = None
) -> dict[str, Any]:
    """All runs with totals: examples, checks, failures, errors, duration (and budgets)."""
    document = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "schemathesis_version": schemathesis.__version__,
        "ok": all(result.ok for result in results),
        "examples": sum(result.total_examples for result in results),
        "checks": sum(result.total_checks for result in results),
        "failures": sum(len(result.failures) for result in results),
        "errors": sum(len(result.errors) for result in results),
        "duration_s": round(sum(result.duration_s for result in results), 3),
        "runs": [result.as_dict() for result in results],
    }
    if budgets is not None:
        document["budgets"] = budgets
    return document


def write_summary(
    results: list[RunResult], path: Path, budgets: dict[str, Any] | None = None
) -> Path:
    """Write :func:`summary_document` as JSON to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = summary_document(results, budgets)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


def new_secret() -> str:
    """A throwaway bearer secret for an in-process proxy (also watched for leaks)."""
    return secrets.token_urlsafe(24)
