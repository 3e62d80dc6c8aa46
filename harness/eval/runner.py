"""Run a prompt suite against a model: the engine of `harness eval`.

:func:`run_eval` prepares a run (its configuration, backend, tools and run directory), then
schedules the (case, repeat) jobs; each job is one case's lifecycle: a cassette transport
around the backend's transport, a conversation through
:func:`harness.eval.loop.run_conversation`, a score, a :class:`harness.results.CaseResult`.
The run emits events (:mod:`harness.eval.events`); results.jsonl, the progress bar and the
returned :class:`RunSummary` are their consumers, so a result is on disk the moment its case
finishes and a resumed run skips it. The layout of ``run.json`` and ``results.jsonl`` is
documented in ``docs/architecture.md``.

Configuration lives in :mod:`harness.eval.config`, the backend choice in
:mod:`harness.eval.backend_choice`, the run record and resuming in
:mod:`harness.eval.run_record`; their public names are importable from here too.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import yaml

from harness import collector
from harness.cassettes.layout import cassette_path
from harness.cassettes.transport import CassetteTransport, StaleCassetteError
from harness.contract.load import Spec, load_manifest, load_spec
from harness.contract.tools import operations_to_tools
from harness.errors import ExecutionError
from harness.eval.backend_choice import OPENAI_BASE_URL, is_loopback, make_backend
from harness.eval.backends import Backend, EncodedTools
from harness.eval.config import RunConfig, RunError, check_filters, check_surface, resumed_settings
from harness.eval.events import (
    CaseFinished,
    Emitter,
    Event,
    Handler,
    ProgressBar,
    ResultsFile,
    RunFinished,
    RunStarted,
)
from harness.eval.loop import (
    Conversation,
    Executor,
    ToolArguments,
    opening_messages,
    proxy_executor,
    run_conversation,
    tool_validators,
)
from harness.eval.run_record import finish_run, new_run, resume
from harness.eval.scoring import CaseScore, score_case
from harness.eval.shard import shard_record
from harness.eval.suite import Case, load_suite
from harness.results import RESULTS_FILE, CaseResult, ReasonCode, Status
from harness.secrets import Redactor, secrets_from_env

if TYPE_CHECKING:  # imported where used: only --affected-by and --surface mcp need them
    from harness.eval.affected import AffectedCases
    from harness.eval.mcp_surface import McpSurface

__all__ = [
    "OPENAI_BASE_URL",
    "REQUEST_LOG_FILE",
    "RunConfig",
    "RunError",
    "RunSummary",
    "check_filters",
    "is_loopback",
    "make_backend",
    "run_eval",
]

REQUEST_LOG_FILE = "requests.jsonl"
"""With --execute, the in-process proxy's request log (budgets are measured from it)."""
YOUNG_COLLECTION_THRESHOLD = 20_000
"""While cases run, the cyclic garbage collector's first threshold (Python's default: 700)."""


@dataclass(repr=False)
class RunSummary:
    """Where a run wrote its results and how its cases ended (a consumer of its events)."""

    run_dir: Path
    run: dict[str, Any]
    results: list[CaseResult] = field(default_factory=list)
    skipped: int = 0

    @property
    def status_counts(self) -> Counter[str]:
        """Cases run this time, by status (pass, fail, error, stale)."""
        return Counter(result.status.value for result in self.results)

    def handle(self, event: Event) -> None:
        if isinstance(event, CaseFinished):
            self.results.append(event.result)

    def __repr__(self) -> str:
        # Short: asyncio.run formats the finished task, result included, when it restores the
        # SIGINT handler; every result's repr made that 40 ms per 1,000 cases.
        return f"RunSummary({str(self.run_dir)!r}, {len(self.results)} results)"


@dataclass(frozen=True)
class _Plan:
    """The cases a run selects from its suite, and the spec and manifest they run against."""

    spec: Spec
    manifest: dict[str, Any]
    selected: list[Case]
    """The cases --case/--tag select, before sharding."""
    cases: list[Case]


@dataclass(frozen=True)
class _RunContext:
    """What every case of a run shares, built once per run."""

    config: RunConfig
    backend: Backend
    spec: Spec
    tools: Sequence[dict[str, Any]]
    validators: dict[str, ToolArguments]
    manifest: dict[str, Any]
    execute: Executor | None
    run_id: str
    env_secrets: tuple[str, ...]
    """The secret values of the environment, read once for every cassette of the run."""
    redact: Redactor
    affected: AffectedCases | None = None

    def attempts(self, case: Case) -> list[tuple[str, Sequence[dict[str, Any]]]]:
        """How ``case`` runs, as (record mode, tools) tried in turn while its cassette is stale.

        With ``--affected-by``, an affected case records what is new (or as ``--record``
        says); any other case replays, with today's tools if it was recorded with them (a
        previous ``--affected-by`` run), else with the tools of REF.
        """
        if self.affected is None:
            return [(self.config.record, self.tools)]
        if case.id in self.affected.case_ids:
            return [("new" if self.config.record == "none" else self.config.record, self.tools)]
        return [("none", self.tools), ("none", self.affected.replay_tools)]


class _NotRun(ExecutionError):
    """A case whose conversation could not run (unreadable or stale cassette)."""

    def __init__(self, status: Status, code: ReasonCode, reason: str) -> None:
        super().__init__(reason)
        self.status, self.code, self.reason = status, code, reason


async def run_eval(
    config: RunConfig,
    backend: Backend | None = None,
    proxy_app: Callable[[str], Any] | None = None,
    on_run_dir: Callable[[Path], None] | None = None,
    handlers: Sequence[Handler] = (),
) -> RunSummary:
    """Run (or resume) an evaluation and return where its results are.

    ``backend`` defaults to the one ``config`` names; ``proxy_app(secret)`` builds the ASGI
    app tool calls run against with ``execute`` (default: the proxy on the offline mock).
    ``on_run_dir(path)`` is told the run directory before the first case starts (so an
    interrupted run can say where to resume). ``handlers`` consume the run's events after
    the results file, the summary and the progress bar (:mod:`harness.eval.events`).
    Resuming keeps the passed and failed cases and runs the errored and stale ones again.
    """
    with collector.less_often(YOUNG_COLLECTION_THRESHOLD):
        return await _run(config, backend, proxy_app, on_run_dir, handlers)


async def _run(
    config: RunConfig,
    backend: Backend | None,
    proxy_app: Callable[[str], Any] | None,
    on_run_dir: Callable[[Path], None] | None,
    handlers: Sequence[Handler],
) -> RunSummary:
    previous_run, done = resume(config.resume) if config.resume else (None, [])
    if previous_run is not None:
        config = replace(config, **resumed_settings(previous_run))
    plan = _plan(config)
    check_surface(config)
    backend = backend or make_backend(config)
    secret = secrets.token_urlsafe(24)
    affected = _affected(config, plan.cases, backend)
    if previous_run is not None and config.resume is not None:
        run_dir, run = config.resume, previous_run
    else:
        run_dir, run = new_run(config, backend, plan.spec.sha256, _extra(config, plan, affected))
    if on_run_dir is not None:
        on_run_dir(run_dir)
    mcp = await _mcp_surface(config, plan, secret, proxy_app, run_dir, previous_run is None)
    tools = EncodedTools(
        mcp.tools if mcp is not None else operations_to_tools(plan.spec, strict=config.strict)
    )
    proxy = _proxy_client(proxy_app, secret, run_dir) if config.execute and not mcp else None
    context = _context(config, backend, plan, tools, run["run_id"], affected, mcp, proxy)
    jobs = _jobs(plan.cases, config.repeat, done)
    summary = RunSummary(run_dir, run, skipped=len(plan.cases) * config.repeat - len(jobs))
    events = Emitter(
        [ResultsFile(run_dir / RESULTS_FILE), summary, ProgressBar(config.progress), *handlers]
    )
    completed = False
    try:
        await _run_jobs(jobs, context, events, run_dir)
        completed = True
    finally:
        try:
            for client in (proxy, mcp):
                if client is not None:
                    await client.aclose()
            finish_run(run_dir, run, backend)  # reads the server's peak memory: before aclose
            await backend.aclose()
        finally:
            events.emit(RunFinished(run_dir, run, completed, (*done, *summary.results)))
    return summary


def _plan(config: RunConfig) -> _Plan:
    spec = load_spec(config.spec)
    manifest = load_manifest(config.manifest)
    suite = load_suite(config.suite, spec)
    check_filters(suite.cases, config)
    selected = suite.select(config.tags, config.case_ids).cases
    cases = config.shard.select(selected) if config.shard else selected
    return _Plan(spec, manifest, selected, cases)


def _affected(config: RunConfig, cases: list[Case], backend: Backend) -> AffectedCases | None:
    if config.affected_by is None:
        return None
    from harness.eval.affected import AffectedError, affected_cases

    try:
        return affected_cases(
            config.affected_by,
            cases,
            config.spec,
            config.manifest,
            config.cassettes,
            backend.model,
            config.strict,
        )
    except AffectedError as error:
        raise RunError(f"--affected-by {config.affected_by}: {error}") from None


def _extra(config: RunConfig, plan: _Plan, affected: AffectedCases | None) -> dict[str, Any]:
    """run.json entries of a new run beyond its settings: its shard and affected cases."""
    extra: dict[str, Any] = {}
    if config.shard:
        extra["shard"] = shard_record(config.shard, plan.selected, plan.cases)
    if affected is not None:
        extra["affected_cases"] = sorted(affected.case_ids)
    return extra


def _context(
    config: RunConfig,
    backend: Backend,
    plan: _Plan,
    tools: Sequence[dict[str, Any]],
    run_id: str,
    affected: AffectedCases | None,
    mcp: McpSurface | None,
    proxy: httpx.AsyncClient | None,
) -> _RunContext:
    execute = mcp.execute if mcp is not None else None
    if proxy is not None:
        execute = proxy_executor(plan.spec, proxy)
    env_secrets = tuple(secrets_from_env())
    return _RunContext(
        config=config,
        backend=backend,
        spec=plan.spec,
        tools=tools,
        validators=tool_validators(tools),
        manifest=plan.manifest,
        execute=execute,
        run_id=run_id,
        env_secrets=env_secrets,
        redact=Redactor(env_secrets),  # a live answer may echo a key: keep it out
        affected=affected,
    )


def _jobs(cases: list[Case], repeat: int, done: list[CaseResult]) -> list[tuple[Case, int]]:
    """Every (case, repeat) of the run but those a resumed run already finished."""
    finished = {(result.case_id, result.repeat) for result in done}
    return [
        (case, index)
        for case in cases
        for index in range(repeat)
        if (case.id, index) not in finished
    ]


async def _run_jobs(
    jobs: list[tuple[Case, int]],
    context: _RunContext,
    events: Emitter,
    run_dir: Path,
) -> None:
    """Run ``jobs`` in order, at most ``concurrency`` at a time, emitting each finished case.

    Each of ``concurrency`` workers takes the next job when its case ends (a task per job,
    queued on a semaphore, cost 9 µs a case); the first error cancels the other workers.
    """
    backend, config = context.backend, context.config
    slots = max(1, min(config.concurrency, getattr(backend, "max_concurrency", config.concurrency)))
    pending = iter(jobs)

    async def worker() -> None:
        for case, repeat in pending:
            result = await _run_case(case, repeat, context)
            # Emitted before the worker takes its next case: a result is on disk the moment
            # its case finishes, whatever happens to the run afterwards.
            events.emit(CaseFinished(_redacted(result, context.redact)))

    events.emit(RunStarted(run_dir, len(jobs)))
    # The suite and the plans live as long as the run: no collection walks them.
    with collector.frozen():
        workers = [asyncio.ensure_future(worker()) for _ in range(min(slots, len(jobs)))]
        try:
            await asyncio.gather(*workers)
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)


def _redacted(result: CaseResult, redact: Redactor) -> CaseResult:
    return CaseResult.from_dict(redact.structure(result.to_dict())) if redact else result


async def _run_case(case: Case, repeat: int, context: _RunContext) -> CaseResult:
    """One case's lifecycle: converse over its cassette, score the calls, make the record."""
    backend = context.backend
    cassette = cassette_path(context.config.cassettes, backend.model, case.id, repeat)
    messages = opening_messages(context.manifest, case.messages)
    record = partial(
        CaseResult,
        run_id=context.run_id,
        case_id=case.id,
        repeat=repeat,
        model=backend.model,
        prompt=case.prompt,
        tags=list(case.tags),
        expected_operations=sorted(case.operations),
        expected=case.expect,
        cassette=str(cassette),
        transcript=messages,
    )
    try:
        conversation = await _converse(case, repeat, cassette, messages, context)
    except _NotRun as why:
        return record(status=why.status, reason=why.reason, reason_code=why.code, error=why.reason)
    if conversation.error is not None:
        score = CaseScore(
            passed=False,
            score=0.0,
            reason=conversation.error,
            call_verdicts=[],
            code=ReasonCode.MODEL_ERROR,
        )
        status = Status.ERROR
    else:
        score = score_case(case, conversation.calls, context.spec)
        status = Status.PASS if score.passed else Status.FAIL
    return record(
        status=status,
        score=score.score,
        reason=score.reason,
        reason_code=score.code,
        call_verdicts=score.call_verdicts,
        actual_calls=list(conversation.calls),
        transcript=conversation.transcript,
        prompt_tokens=conversation.prompt_tokens,
        completion_tokens=conversation.completion_tokens,
        latency_s=round(conversation.latency_s, 4) if conversation.turns else None,
        turns=conversation.turns,
        error=conversation.error,
    )


async def _converse(
    case: Case,
    repeat: int,
    cassette: Path,
    messages: list[dict[str, Any]],
    context: _RunContext,
) -> Conversation:
    """The case's conversation over its cassette, trying each of its attempts while the
    cassette is stale; raises :class:`_NotRun` when none can run."""
    attempts = context.attempts(case)
    for attempt, (mode, tools) in enumerate(attempts, start=1):
        transport = _cassette_transport(case, repeat, cassette, mode, context)
        try:
            async with transport:
                return await run_conversation(
                    context.backend,
                    messages,
                    tools,
                    transport=transport,
                    execute=context.execute,
                    max_turns=context.config.max_turns,
                    validators=context.validators,
                )
        except StaleCassetteError as error:
            if attempt == len(attempts):
                why = f"stale cassette: {error.reason}"
                raise _NotRun(Status.STALE, ReasonCode.STALE_CASSETTE, why) from None
    raise AssertionError("a case has at least one attempt")


def _cassette_transport(
    case: Case, repeat: int, cassette: Path, mode: str, context: _RunContext
) -> CassetteTransport:
    backend = context.backend
    try:
        return CassetteTransport(
            cassette,
            mode,
            inner=backend.transport(),
            metadata={
                "model": backend.model,
                "model_version": backend.model_version,
                **_model_file_metadata(backend, mode),
                "backend": backend.name,
                "case_id": case.id,
                "case_fingerprint": case.fingerprint,
                "repeat": repeat,
            },
            env_secrets=context.env_secrets,
        )
    except (yaml.YAMLError, KeyError, TypeError, OSError) as error:
        why = f"unreadable cassette {cassette}: {' '.join(str(error).split())}"
        raise _NotRun(Status.ERROR, ReasonCode.UNREADABLE_CASSETTE, why) from None


def _model_file_metadata(backend: Backend, record: str) -> dict[str, Any]:
    """The model file's sha256 for a cassette's metadata (only recordings need it)."""
    sha256 = getattr(type(backend), "model_sha256", None)
    if sha256 is None or record == "none":
        return {}
    return {"model_sha256": backend.model_sha256}  # type: ignore[attr-defined]


async def _mcp_surface(
    config: RunConfig,
    plan: _Plan,
    secret: str,
    proxy_app: Callable[[str], Any] | None,
    run_dir: Path,
    new_run_dir: bool,
) -> McpSurface | None:
    """With ``--surface mcp``, the MCP surface, opened once the run directory exists (its
    in-process server logs every call there); a new run directory is removed when it cannot
    be opened, since nothing ran."""
    if config.surface != "mcp":
        return None
    try:
        return await _open_mcp(config, plan, secret, proxy_app, run_dir / REQUEST_LOG_FILE)
    except RunError:
        if new_run_dir:
            shutil.rmtree(run_dir)
        raise


async def _open_mcp(
    config: RunConfig,
    plan: _Plan,
    secret: str,
    proxy_app: Callable[[str], Any] | None,
    request_log: Path,
) -> McpSurface:
    """The model's tools from the MCP server's tools/list (and its tools/call to execute).

    In-process by default (the proxy for the run's spec on the offline mock, over ASGI); with
    ``mcp_url`` any running server, authenticated with ``CHATGPT_SECRET`` when set.
    """
    from harness.eval.mcp_surface import McpSurface, McpSurfaceError
    from harness.mcp_client import connect
    from harness.offline import create_offline_app

    if config.mcp_url:
        session = connect(config.mcp_url, token=os.environ.get("CHATGPT_SECRET"))
        where = config.mcp_url
    else:
        app = (
            proxy_app(secret)
            if proxy_app
            else create_offline_app(secret, spec=plan.spec, request_log=request_log)
        )
        session = connect(app=app, token=secret)
        where = "the in-process MCP server"
    operations = sorted({name for case in plan.cases for name in case.operations})
    try:
        return await McpSurface.open(
            session, operations, strict=config.strict, execute=config.execute, where=where
        )
    except McpSurfaceError as error:
        raise RunError(str(error)) from None


def _proxy_client(
    proxy_app: Callable[[str], Any] | None, secret: str, run_dir: Path
) -> httpx.AsyncClient:
    """A client of the proxy tool calls run against (default: on the offline mock, logging
    its requests to the run's request log)."""
    if proxy_app is None:
        from harness.offline import create_offline_app

        app = create_offline_app(secret, request_log=run_dir / REQUEST_LOG_FILE)
    else:
        app = proxy_app(secret)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://proxy.local",
        headers={"Authorization": f"Bearer {secret}"},
    )
