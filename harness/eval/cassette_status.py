"""Is each case's recording still valid? fresh / stale (with the reason) / missing.

A case is checked by sending the first request `harness eval` would send for it (system
prompt from the manifest, the case's messages, the spec's tools, the backend's model and
sampling settings) through the real backend code and a replay-only cassette transport: what
replays is fresh, what does not is stale with the transport's reason. Nothing is sent
anywhere. Later turns of a conversation depend on the recorded answers and are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from harness.cassettes.layout import cassette_path
from harness.cassettes.status import recorded_repeats
from harness.cassettes.transport import CassetteTransport, StaleCassetteError
from harness.contract.load import load_manifest, load_spec
from harness.contract.tools import operations_to_tools
from harness.eval.backends import Backend
from harness.eval.loop import opening_messages
from harness.eval.runner import RunConfig, check_filters, make_backend
from harness.eval.suite import Case, load_suite


@dataclass(frozen=True)
class CaseStatus:
    """The state of one case's cassettes for one model."""

    case_id: str
    state: str  # fresh | stale | missing
    repeats: tuple[int, ...]
    reason: str | None = None


class _NoNetwork(httpx.AsyncBaseTransport):
    """The inner transport of a status check: reaching it is a bug."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError(f"status check tried to send {request.method} {request.url}")


async def check_case(
    case: Case,
    backend: Backend,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    root: Path,
) -> CaseStatus:
    """Replay the first request of every recorded repeat of ``case``."""
    repeats = recorded_repeats(root, backend.model, case.id)
    if not repeats:
        return CaseStatus(case.id, "missing", ())
    for repeat in repeats:
        path = cassette_path(root, backend.model, case.id, repeat)
        transport = CassetteTransport(path, "none", inner=_NoNetwork())
        try:
            async with transport:
                await backend.complete(messages, tools, transport=transport)
        except StaleCassetteError as error:
            return CaseStatus(case.id, "stale", repeats, f"repeat {repeat}: {error.reason}")
    return CaseStatus(case.id, "fresh", repeats)


async def suite_status(config: RunConfig) -> list[CaseStatus]:
    """The status of every case of ``config.suite`` for the backend ``config`` names."""
    spec = load_spec(config.spec)
    tools = operations_to_tools(spec, strict=config.strict)
    manifest = load_manifest(config.manifest)
    suite = load_suite(config.suite, spec)
    check_filters(suite.cases, config)
    cases = suite.select(config.tags, config.case_ids).cases
    backend = make_backend(config)
    try:
        return [
            await check_case(
                case,
                backend,
                opening_messages(manifest, case.messages),
                tools,
                config.cassettes,
            )
            for case in cases
        ]
    finally:
        await backend.aclose()
