"""The run record (``run.json``) of an eval run: written when it starts, resumed, finished."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from harness.cassettes.layout import model_slug
from harness.cassettes.transport import harness_version
from harness.eval.backends import Backend
from harness.eval.config import RunConfig, RunError
from harness.eval.local_server import llama_cpp_version
from harness.results import RESULTS_FILE, RUN_FILE, CaseResult, ResultsError, read_results
from harness.results import write_results as rewrite_results


def new_run(
    config: RunConfig, backend: Backend, spec_sha256: str, extra: dict[str, Any]
) -> tuple[Path, dict[str, Any]]:
    """Create the run's directory under ``config.out`` and its run.json (``extra``: more
    entries, such as the shard); return both."""
    run = _run_record(config, backend, spec_sha256) | extra
    run_dir = _new_run_dir(config.out, run["run_id"])
    run["run_id"] = run_dir.name
    write_run_file(run_dir, run)
    return run_dir, run


def resume(run_dir: Path) -> tuple[dict[str, Any], list[CaseResult]]:
    """The run.json of ``run_dir`` and its scored results; the results file is rewritten to
    hold only those (the errored and stale cases run again)."""
    run_file = run_dir / RUN_FILE
    try:
        run = orjson.loads(run_file.read_bytes())
    except FileNotFoundError:
        raise RunError(f"{run_file}: no such file (not a run directory)") from None
    except orjson.JSONDecodeError as error:
        raise RunError(f"{run_file}: invalid JSON ({error})") from None
    results_file = run_dir / RESULTS_FILE
    try:
        results = read_results(results_file, missing_ok=True)
    except ResultsError as error:
        raise RunError(str(error)) from None
    done = [result for result in results if result.status.scored]
    if results_file.exists():
        rewrite_results(results_file, done)
    return run, done


def finish_run(run_dir: Path, run: dict[str, Any], backend: Backend) -> None:
    """Stamp the end time (and the model server's peak memory, when known) into run.json."""
    server = getattr(backend, "server", None)
    peak_rss_mb = server.peak_rss_mb() if server is not None else None
    if peak_rss_mb is not None:
        run["model_server_peak_rss_mb"] = peak_rss_mb
    run["finished_at"] = _now()
    write_run_file(run_dir, run)


def write_run_file(run_dir: Path, run: dict[str, Any]) -> None:
    """Write ``run`` as the run.json of ``run_dir``."""
    (run_dir / RUN_FILE).write_bytes(orjson.dumps(run, option=orjson.OPT_INDENT_2) + b"\n")


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


def _new_run_dir(out: Path, run_id: str) -> Path:
    candidate, number = out / run_id, 1
    while candidate.exists():
        number += 1
        candidate = out / f"{run_id}-{number}"
    candidate.mkdir(parents=True)
    return candidate


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
