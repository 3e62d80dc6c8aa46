"""Local models: suite pass rate with its 95% CI, wall time to record, tokens per case, RSS.

Live (``python -m benchmarks --only local``): each present local model records the suite (or,
with ``--quick``, its first cases) through the real runner with ``--record all`` into a
scratch cassette directory, one llama-cpp-python server per model; then the cases a
searchPodcasts/searchEpisodes description change affects are recorded again, the subset
`harness eval --affected-by` re-records. The server's peak RSS is its ``VmHWM``, which the
runner writes to ``run.json`` (``model_server_peak_rss_mb``) before stopping it.

From runs already made (``python -m benchmarks.local_model RUN_DIR ...``): the same table
from ``run.json`` (start and end times, model, peak RSS when recorded) and
``results.jsonl`` (statuses, tokens).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import orjson

from harness.eval.runner import RunConfig, make_backend, run_eval
from harness.eval.suite import load_suite
from harness.models.catalog import KNOWN_MODELS, locate
from harness.report.stats import wilson_rate
from harness.results import RESULTS_FILE, RUN_FILE, CaseResult, Status, read_results

SWAPPED_OPERATIONS = frozenset({"searchPodcasts", "searchEpisodes"})
QUICK_CASES = 6
CONCURRENCY_CASES = 20


def summarise(run: dict[str, Any], results: list[CaseResult]) -> dict[str, Any]:
    """Pass rate (Wilson 95% CI), statuses, wall time and mean tokens of one run."""
    rate = wilson_rate(sum(result.passed for result in results), len(results))
    prompt = [r.prompt_tokens for r in results if r.prompt_tokens is not None]
    completion = [r.completion_tokens for r in results if r.completion_tokens]
    wall_s = None
    if run.get("started_at") and run.get("finished_at"):
        started, finished = (datetime.fromisoformat(run[k]) for k in ("started_at", "finished_at"))
        wall_s = (finished - started).total_seconds()
    return {
        "model": run.get("model"),
        "cases": len(results),
        "statuses": {
            s.value: sum(r.status is s for r in results)
            for s in (Status.PASS, Status.FAIL, Status.ERROR)
        },
        "pass_rate": rate.to_dict(),
        "pass_rate_text": str(rate),
        "wall_s": wall_s,
        "s_per_case": round(wall_s / len(results), 2) if wall_s and results else None,
        "prompt_tokens_per_case": round(sum(prompt) / len(prompt)) if prompt else None,
        "completion_tokens_per_case": round(sum(completion) / len(completion))
        if completion
        else None,
        "peak_rss_mb": run.get("model_server_peak_rss_mb"),
    }


def summarise_run_dir(run_dir: Path) -> dict[str, Any]:
    """``summarise`` of a run directory written by `harness eval`."""
    run = orjson.loads((run_dir / RUN_FILE).read_bytes())
    return summarise(run, read_results(run_dir / RESULTS_FILE)) | {"run": str(run_dir)}


def _record(
    model_name: str, case_ids: Sequence[str], workdir: Path, concurrency: int = 1
) -> dict[str, Any]:
    config = RunConfig(
        backend="local",
        local_model=model_name,
        record="all",
        cassettes=workdir / "cassettes",
        out=workdir / "runs",
        case_ids=tuple(case_ids),
        concurrency=concurrency,
        progress=False,
    )
    backend = make_backend(config)
    backend.max_concurrency = concurrency  # type: ignore[attr-defined]  (lifted to measure it)
    started = time.perf_counter()
    summary = asyncio.run(run_eval(config, backend=backend))
    wall_s = time.perf_counter() - started
    return summarise(summary.run, summary.results) | {"wall_s": round(wall_s, 1)}


def measure_concurrency(
    model_name: str, case_ids: Sequence[str], workdir: Path, concurrencies: Sequence[int]
) -> list[dict[str, Any]]:
    """Wall time to record the same cases with several requests in flight at once.

    llama-cpp-python's server holds one model behind a lock (``llama_outer_lock`` and
    ``llama_inner_lock`` in ``llama_cpp/server/app.py``): it has no parallel slots, so more
    requests in flight can only queue. This measures what that costs or saves.
    """
    rows = []
    for concurrency in concurrencies:
        row = _record(model_name, case_ids, workdir / f"c{concurrency}", concurrency)
        rows.append({"concurrency": concurrency, "wall_s": row["wall_s"], "cases": row["cases"]})
    return rows


def measure(workdir: Path, quick: bool) -> dict[str, Any]:
    """Record the suite (first ``QUICK_CASES`` with ``quick``) with every present model."""
    cases = load_suite(Path("prompts")).cases
    suite_ids = [case.id for case in cases][: QUICK_CASES if quick else None]
    affected_ids = [case.id for case in cases if case.operations & SWAPPED_OPERATIONS]
    affected_ids = affected_ids[: QUICK_CASES if quick else None]
    rows, missing = [], []
    for name, model in KNOWN_MODELS.items():
        if locate(model) is None:
            missing.append(f"{name} (run: {model.fetch_command})")
            continue
        full = _record(name, suite_ids, workdir / name / "suite")
        subset = _record(name, affected_ids, workdir / name / "affected")
        rows.append(
            full
            | {
                "name": name,
                "affected_cases": len(affected_ids),
                "affected_wall_s": subset["wall_s"],
            }
        )
    concurrency = (
        measure_concurrency(
            "smollm2-135m", suite_ids[:CONCURRENCY_CASES], workdir / "concurrency", (1, 2, 4)
        )
        if locate(KNOWN_MODELS["smollm2-135m"])
        else []
    )
    return {
        "suite_cases": len(suite_ids),
        "models": rows,
        "missing": missing,
        "concurrency": concurrency,
    }


def render(section: dict[str, Any]) -> list[str]:
    """The Markdown table of the section."""
    lines = [
        "## Local models",
        "",
        f"{section['suite_cases']} suite cases recorded with `--record all`, one "
        "llama-cpp-python server per model (one request at a time).",
        "",
        "| model | pass rate (95% CI) | errors | record suite | s/case | record affected "
        "subset | prompt tokens/case | completion tokens/case | server peak RSS |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in section["models"]:
        subset = (
            f"{row['affected_wall_s']:.0f} s ({row['affected_cases']} cases)"
            if row.get("affected_wall_s") is not None
            else "n/a"
        )
        rss = f"{row['peak_rss_mb']:,} MB" if row.get("peak_rss_mb") else "n/a"
        lines.append(
            f"| {row.get('name', row['model'])} | {row['pass_rate_text']} | "
            f"{row['statuses']['error']} | {row['wall_s']:.0f} s | {row['s_per_case']} | "
            f"{subset} | {row['prompt_tokens_per_case']} | {row['completion_tokens_per_case']} "
            f"| {rss} |"
        )
    if section.get("concurrency"):
        lines += [
            "",
            f"Requests in flight against one smollm2-135m server "
            f"({section['concurrency'][0]['cases']} cases; the server has no parallel slots):",
            "",
            "| concurrency | wall time |",
            "|---|---|",
            *(f"| {row['concurrency']} | {row['wall_s']} s |" for row in section["concurrency"]),
        ]
    if section.get("missing"):
        lines += ["", "Not present, not measured: " + "; ".join(section["missing"])]
    return [*lines, ""]


@click.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
def main(run_dirs: tuple[Path, ...]) -> None:
    """The local-model table from run directories `harness eval` wrote."""
    rows = [summarise_run_dir(run_dir) for run_dir in run_dirs]
    click.echo("\n".join(render({"suite_cases": rows[0]["cases"], "models": rows})))
    click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main(prog_name="python -m benchmarks.local_model")
