"""Run a prompt suite against a model: concurrent cases, cassettes, streamed results.

Each (case, repeat) gets its own cassette transport around the backend's transport, runs
through :func:`harness.eval.loop.run_conversation`, is scored, and is appended to
``results.jsonl`` (flushed) the moment it finishes, so a crash keeps finished cases and
``resume`` skips them. The layout of ``run.json`` and ``results.jsonl`` is documented in
``docs/architecture.md``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import secrets
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import orjson
import yaml
from jsonschema import Draft202012Validator
from tqdm import tqdm

from harness.cassettes.layout import cassette_path, model_slug
from harness.cassettes.transport import CassetteTransport, StaleCassetteError, harness_version
from harness.eval.affected import AffectedCases, AffectedError, affected_cases
from harness.eval.backends import (
    Backend,
    LocalBackend,
    OpenAICompatibleBackend,
    SamplingSettings,
)
from harness.eval.local_server import llama_cpp_version
from harness.eval.loop import (
    Executor,
    opening_messages,
    proxy_executor,
    run_conversation,
    tool_validators,
)
from harness.eval.mcp_surface import McpSurface, McpSurfaceError
from harness.eval.scoring import CaseScore, score_case
from harness.eval.shard import Shard, shard_record
from harness.eval.suite import Case, load_suite
from harness.models.catalog import DEFAULT_LOCAL_MODEL
from harness.models.catalog import resolve as resolve_local_model
from harness.results import (
    RESULTS_FILE,
    RUN_FILE,
    CaseResult,
    ReasonCode,
    ResultsError,
    Status,
    read_results,
    write_result,
    write_results,
)
from harness.secrets import Redactor, secrets_from_env
from harness.spec.load import DEFAULT_MANIFEST_PATH, DEFAULT_SPEC_PATH, load_manifest, load_spec
from harness.spec.tools import operations_to_tools

REQUEST_LOG_FILE = "requests.jsonl"
"""With --execute, the in-process proxy's request log (budgets are measured from it)."""
OPENAI_BASE_URL = "https://api.openai.com/v1"
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


class RunError(Exception):
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


@dataclass
class RunSummary:
    """Where a run wrote its results and how its cases ended."""

    run_dir: Path
    run: dict[str, Any]
    results: list[CaseResult] = field(default_factory=list)
    skipped: int = 0

    @property
    def status_counts(self) -> Counter[str]:
        """Cases run this time, by status (pass, fail, error, stale)."""
        return Counter(result.status.value for result in self.results)


@dataclass(frozen=True)
class _RunContext:
    """What every case of a run shares, built once per run."""

    config: RunConfig
    backend: Backend
    spec: Any
    tools: list[dict[str, Any]]
    validators: dict[str, Draft202012Validator]
    manifest: dict[str, Any]
    execute: Executor | None
    run_id: str
    affected: AffectedCases | None = None

    def attempts(self, case: Case) -> list[tuple[str, list[dict[str, Any]]]]:
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


def make_backend(config: RunConfig) -> Backend:
    """The backend ``config`` names; the OpenAI key comes from ``OPENAI_API_KEY`` (not needed
    for a server on this machine, nor to replay)."""
    settings = SamplingSettings(config.temperature, config.seed, config.tool_choice)
    if config.backend == "local":
        local_model = resolve_local_model(config.local_model, config.chat_format)
        if config.record != "none" or config.affected_by is not None:
            local_model.require_path()
        return LocalBackend(local_model, settings)
    if config.backend != "openai":
        raise RunError(f"unknown backend {config.backend!r} (choose local or openai)")
    if not config.model:
        raise RunError("--backend openai needs --model")
    base_url = config.base_url or OPENAI_BASE_URL
    api_key = os.environ.get("OPENAI_API_KEY") or None
    if api_key is None and not is_loopback(base_url):
        if config.record != "none":
            raise RunError(
                f"OPENAI_API_KEY is not set (needed to record new cassettes from {base_url})"
            )
        api_key = "replay-only"
    return OpenAICompatibleBackend(config.model, base_url, api_key, settings)


def is_loopback(url: str) -> bool:
    """True when ``url`` names this machine (localhost, 127.0.0.0/8, ::1): a local model
    server, which needs no API key."""
    host = httpx.URL(url).host
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def run_eval(
    config: RunConfig,
    backend: Backend | None = None,
    proxy_app: Callable[[str], Any] | None = None,
    on_run_dir: Callable[[Path], None] | None = None,
) -> RunSummary:
    """Run (or resume) an evaluation and return where its results are.

    ``backend`` defaults to the one ``config`` names; ``proxy_app(secret)`` builds the ASGI
    app tool calls run against with ``execute`` (default: the proxy on the offline mock).
    ``on_run_dir(path)`` is told the run directory before the first case starts (so an
    interrupted run can say where to resume). Resuming keeps the passed and failed cases
    and runs the errored and stale ones again.
    """
    previous_run, done = _resumed(config.resume) if config.resume else (None, [])
    if previous_run is not None:
        config = replace(config, **_settings_of(previous_run))
    spec = load_spec(config.spec)
    manifest = load_manifest(config.manifest)
    suite = load_suite(config.suite, spec)
    check_filters(suite.cases, config)
    selected = suite.select(config.tags, config.case_ids).cases
    cases = config.shard.select(selected) if config.shard else selected
    backend = backend or make_backend(config)
    secret = secrets.token_urlsafe(24)
    mcp = None
    if config.surface == "mcp":
        mcp = await _open_mcp(config, spec, cases, secret, proxy_app)
        tools = mcp.tools
    else:
        _check_surface(config)
        tools = operations_to_tools(spec, strict=config.strict)
    affected = None
    if config.affected_by is not None:
        try:
            affected = affected_cases(
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

    if config.resume and previous_run:
        run_dir, run = config.resume, previous_run
    else:
        run = _run_record(config, backend, spec.sha256)
        if config.shard:
            run["shard"] = shard_record(config.shard, selected, cases)
        if affected is not None:
            run["affected_cases"] = sorted(affected.case_ids)
        run_dir = _new_run_dir(config.out, run["run_id"])
        run["run_id"] = run_dir.name
        _write_json(run_dir / RUN_FILE, run)
    if on_run_dir is not None:
        on_run_dir(run_dir)
    finished = {(result.case_id, result.repeat) for result in done}
    jobs = [
        (case, repeat)
        for case in cases
        for repeat in range(config.repeat)
        if (case.id, repeat) not in finished
    ]
    summary = RunSummary(run_dir, run, skipped=len(cases) * config.repeat - len(jobs))
    proxy_client = (
        _proxy_client(proxy_app, secret, run_dir / REQUEST_LOG_FILE)
        if config.execute and not mcp
        else None
    )
    execute = proxy_executor(spec, proxy_client) if proxy_client else None
    if mcp is not None:
        execute = mcp.execute

    context = _RunContext(
        config=config,
        backend=backend,
        spec=spec,
        tools=tools,
        validators=tool_validators(tools),
        manifest=manifest,
        execute=execute,
        run_id=run["run_id"],
        affected=affected,
    )

    async def run_one(case: Case, repeat: int) -> CaseResult:
        return await _run_case(case, repeat, context)

    progress = tqdm(
        total=len(jobs),
        desc="eval",
        unit="case",
        file=sys.stderr,
        disable=not (config.progress and sys.stderr.isatty()),
    )
    try:
        with (run_dir / RESULTS_FILE).open("ab") as results_file:
            await _run_jobs(
                jobs,
                run_one,
                min(config.concurrency, getattr(backend, "max_concurrency", config.concurrency)),
                _line_writer(results_file, summary, progress),
            )
    finally:
        progress.close()
        if proxy_client is not None:
            await proxy_client.aclose()
        if mcp is not None:
            await mcp.aclose()
        server = getattr(backend, "server", None)
        peak_rss_mb = server.peak_rss_mb() if server is not None else None
        if peak_rss_mb is not None:
            run["model_server_peak_rss_mb"] = peak_rss_mb
        await backend.aclose()
        run["finished_at"] = _now()
        _write_json(run_dir / RUN_FILE, run)
    return summary


async def _run_jobs(
    jobs: list[tuple[Case, int]],
    run_one: Callable[[Case, int], Any],
    concurrency: int,
    on_result: Callable[[CaseResult], None],
) -> None:
    gate = asyncio.Semaphore(max(1, concurrency))

    async def guarded(case: Case, repeat: int) -> None:
        async with gate:
            # Written by the case's own task before the next case may start: a result is on
            # disk the moment its case finishes, whatever happens to the run afterwards.
            on_result(await run_one(case, repeat))

    tasks = [asyncio.ensure_future(guarded(case, repeat)) for case, repeat in jobs]
    try:
        for next_done in asyncio.as_completed(tasks):
            await next_done
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _line_writer(
    results_file: BinaryIO, summary: RunSummary, progress: tqdm
) -> Callable[[CaseResult], None]:
    redact = Redactor(secrets_from_env())  # a live answer may echo a key: keep it out

    def write(result: CaseResult) -> None:
        if redact:
            result = CaseResult.from_dict(redact.structure(result.to_dict()))
        write_result(results_file, result)
        summary.results.append(result)
        progress.update(1)

    return write


async def _run_case(case: Case, repeat: int, context: _RunContext) -> CaseResult:
    config, backend = context.config, context.backend
    cassette = cassette_path(config.cassettes, backend.model, case.id, repeat)
    messages = opening_messages(context.manifest, case.messages)
    unscored = partial(
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
    attempts = context.attempts(case)
    for attempt, (mode, tools) in enumerate(attempts, start=1):
        try:
            transport = CassetteTransport(
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
            )
        except (yaml.YAMLError, KeyError, TypeError, OSError) as error:
            detail = " ".join(str(error).split())
            why = f"unreadable cassette {cassette}: {detail}"
            code = ReasonCode.UNREADABLE_CASSETTE
            return unscored(status=Status.ERROR, reason=why, reason_code=code, error=why)
        try:
            async with httpx.AsyncClient(transport=transport) as client:
                conversation = await run_conversation(
                    backend,
                    messages,
                    tools,
                    http_client=client,
                    execute=context.execute,
                    max_turns=config.max_turns,
                    validators=context.validators,
                )
        except StaleCassetteError as error:
            if attempt < len(attempts):
                continue
            why = f"stale cassette: {error.reason}"
            code = ReasonCode.STALE_CASSETTE
            return unscored(status=Status.STALE, reason=why, reason_code=code, error=why)
        break
    if conversation.error is not None:
        score = CaseScore(False, 0.0, conversation.error, [], ReasonCode.MODEL_ERROR)
        status = Status.ERROR
    else:
        score = score_case(case, conversation.calls, context.spec)
        status = Status.PASS if score.passed else Status.FAIL
    return unscored(
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


def _check_surface(config: RunConfig) -> None:
    if config.surface not in SURFACES:
        raise RunError(f"unknown surface {config.surface!r} (choose {' or '.join(SURFACES)})")
    if config.mcp_url and config.surface != "mcp":
        raise RunError("--mcp-url needs --surface mcp")


async def _open_mcp(
    config: RunConfig,
    spec: Any,
    cases: list[Case],
    secret: str,
    proxy_app: Callable[[str], Any] | None,
) -> McpSurface:
    """The model's tools from the MCP server's tools/list (and its tools/call to execute).

    In-process by default (the proxy for the run's spec on the offline mock, over ASGI); with
    ``mcp_url`` any running server, authenticated with ``CHATGPT_SECRET`` when set.
    """
    from harness.mcp_client import connect
    from harness.proxy.app import create_offline_app

    if config.mcp_url:
        session = connect(config.mcp_url, token=os.environ.get("CHATGPT_SECRET"))
        where = config.mcp_url
    else:
        app = proxy_app(secret) if proxy_app else create_offline_app(secret, spec=spec)
        session = connect(app=app, token=secret)
        where = "the in-process MCP server"
    operations = sorted({name for case in cases for name in case.operations})
    try:
        return await McpSurface.open(
            session, operations, strict=config.strict, execute=config.execute, where=where
        )
    except McpSurfaceError as error:
        raise RunError(str(error)) from None


def _proxy_client(
    proxy_app: Callable[[str], Any] | None, secret: str, request_log: Path
) -> httpx.AsyncClient:
    if proxy_app is None:
        from harness.proxy.app import create_offline_app

        app = create_offline_app(secret, request_log=request_log)
    else:
        app = proxy_app(secret)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://proxy.local",
        headers={"Authorization": f"Bearer {secret}"},
    )


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


def _run_record(config: RunConfig, backend: Backend, spec_sha256: str) -> dict[str, Any]:
    started = _now()
    run = {
        "run_id": f"{started.replace('-', '').replace(':', '')}-{model_slug(backend.model)}",
        "started_at": started,
        "finished_at": None,
        "model": backend.model,
        "backend": backend.name,
        "base_url": backend.base_url,
        "suite": str(config.suite),
        "spec_sha256": spec_sha256,
        "repeat": config.repeat,
        "temperature": config.temperature,
        "seed": config.seed,
        "tool_choice": config.tool_choice,
        "strict": config.strict,
        "execute": config.execute,
        "max_turns": config.max_turns,
        "surface": config.surface,
        "mcp_url": config.mcp_url,
        "record_mode": config.record,
        "affected_by": config.affected_by,
        "harness_version": harness_version(),
    }
    if backend.name == "local":
        run["llama_cpp_version"] = llama_cpp_version()
        run["local_model"] = config.local_model
        run["chat_format"] = config.chat_format
        run["model_version"] = backend.model_version
    return run


def _model_file_metadata(backend: Backend, record: str) -> dict[str, Any]:
    """The model file's sha256 for a cassette's metadata (only recordings need it)."""
    sha256 = getattr(type(backend), "model_sha256", None)
    if sha256 is None or record == "none":
        return {}
    return {"model_sha256": backend.model_sha256}  # type: ignore[attr-defined]


def _settings_of(run: dict[str, Any]) -> dict[str, Any]:
    settings = {key: run[key] for key in RESUMED_SETTINGS if key in run}
    shard = run.get("shard")
    settings["shard"] = Shard(shard["index"], shard["count"]) if shard else None
    return settings


def _resumed(run_dir: Path) -> tuple[dict[str, Any], list[CaseResult]]:
    run_file = run_dir / RUN_FILE
    try:
        run = orjson.loads(run_file.read_bytes())
    except FileNotFoundError:
        raise RunError(f"{run_file}: no such file (not a run directory)") from None
    except orjson.JSONDecodeError as error:
        raise RunError(f"{run_file}: invalid JSON ({error})") from None
    results_file = run_dir / RESULTS_FILE
    try:
        done = [
            result for result in read_results(results_file, missing_ok=True) if result.status.scored
        ]
    except ResultsError as error:
        raise RunError(str(error)) from None
    if results_file.exists():
        write_results(results_file, done)
    return run, done


def _new_run_dir(out: Path, run_id: str) -> Path:
    candidate, number = out / run_id, 1
    while candidate.exists():
        number += 1
        candidate = out / f"{run_id}-{number}"
    candidate.mkdir(parents=True)
    return candidate


def _write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
