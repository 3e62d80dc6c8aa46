"""`harness eval`: run the prompt suite against a model, write the reports, apply the gate.

With no options it replays the committed cassettes of the local model (no network, no
model needed), scores every case and writes ``reports/<run-id>/``. Exit codes: 0 ok,
1 gate failed, 2 harness error (bad config, suite or spec; stale cassettes in replay mode).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click

from harness.cassettes.transport import RECORD_MODES
from harness.eval.affected import affected_lines
from harness.eval.local_server import LocalModelUnavailable
from harness.eval.options import selection_options
from harness.eval.runner import RunConfig, RunError, RunSummary, run_eval
from harness.eval.suite import SuiteError
from harness.models.catalog import ModelError
from harness.report import ConfigError, GateConfig, ReportError, evaluate_gate, write_reports
from harness.spec.load import SpecError

HARNESS_ERROR = 2
DEFAULT_BASELINE = Path("reports/baseline")
INTERRUPTED = 130


@click.command("eval")
@selection_options
@click.option(
    "--execute/--no-execute",
    default=False,
    show_default=True,
    help="Run tool calls against the in-process proxy and feed results back.",
)
@click.option("--max-turns", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--concurrency", type=click.IntRange(min=1), default=4, show_default=True)
@click.option("--repeat", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "--resume",
    "resume",
    type=click.Path(path_type=Path, file_okay=False),
    help="Continue the run in this directory, skipping finished cases.",
)
@click.option(
    "--record",
    type=click.Choice(RECORD_MODES),
    default="none",
    show_default=True,
    help="Cassette record mode; none replays only.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Where run directories are created.",
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path, file_okay=False),
    help="A previous run directory to compare with and gate against.",
)
@click.option(
    "--affected-by",
    metavar="REF",
    help="Re-record only the cases a change since REF affects (as `harness diff` names "
    "them, plus changed or new prompts), replay the rest, gate against --baseline "
    f"[default: {DEFAULT_BASELINE}].",
)
@click.option("--quiet", is_flag=True, help="No progress bar, only the final lines.")
def eval_command(
    execute: bool,
    max_turns: int,
    concurrency: int,
    repeat: int,
    resume: Path | None,
    record: str,
    out: Path,
    baseline: Path | None,
    affected_by: str | None,
    quiet: bool,
    **selection: Any,
) -> None:
    """Evaluate prompts -> tool calls, score them, write reports and apply the gate."""
    if affected_by is not None and baseline is None:
        baseline = DEFAULT_BASELINE
    config = RunConfig(
        **selection,
        execute=execute,
        max_turns=max_turns,
        concurrency=concurrency,
        repeat=repeat,
        record=record,
        out=out,
        resume=resume,
        progress=not quiet,
        affected_by=affected_by,
    )
    try:
        gate_config = GateConfig.from_pyproject()
        summary = asyncio.run(run_eval(config))
        write_reports(summary.run_dir, baseline, critical_tag=gate_config.critical_tag)
    except KeyboardInterrupt:
        click.echo(
            "interrupted; finished cases are kept (continue with --resume RUN_DIR)", err=True
        )
        raise SystemExit(INTERRUPTED) from None
    except (
        SpecError,
        SuiteError,
        RunError,
        ConfigError,
        ReportError,
        LocalModelUnavailable,
        ModelError,
    ) as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(HARNESS_ERROR) from None
    click.echo(_summary_line(summary))
    if affected_by is not None:
        click.echo(affected_lines(summary, affected_by, baseline))
    gate = evaluate_gate(summary.run_dir, baseline, gate_config)
    click.echo(gate.reason)
    if summary.status_counts["stale"] and record == "none":
        click.echo("stale cassettes: re-record with --record new (needs the model)", err=True)
    raise SystemExit(gate.exit_code)


def _summary_line(summary: RunSummary) -> str:
    counts = summary.status_counts
    ran = sum(counts.values())
    parts = ", ".join(f"{counts[status]} {status}" for status in ("pass", "fail", "error", "stale"))
    skipped = f" ({summary.skipped} already done)" if summary.skipped else ""
    runs = "run" if ran == 1 else "runs"
    return f"{summary.run_dir}: {ran} {runs}{skipped}: {parts}"
