"""`harness eval`: run the prompt suite against a model, write the reports, apply the gate.

With no options it replays the committed cassettes of the local model (no network, no
model needed), scores every case and writes ``reports/<run-id>/``. Exit codes: 0 ok,
1 gate failed, 2 harness error (bad config, suite or spec; stale cassettes in replay mode).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from harness.cassettes.transport import RECORD_MODES
from harness.errors import CHECK_FAILED, OK, command_errors
from harness.eval.events import Event, RunFinished
from harness.eval.options import selection_options
from harness.eval.runner import RunConfig, RunSummary, run_eval
from harness.eval.shard import Shard, ShardError
from harness.report import (
    GateConfig,
    GateResult,
    Run,
    evaluate_gate,
    gate_loaded,
    load_run,
    write_run_reports,
)
from harness.report.config import load_pricing
from harness.report.write import run_budgets
from harness.results import Status

DEFAULT_BASELINE = Path("reports/baseline")
INTERRUPTED = 130


def _parse_shard(
    _context: click.Context, _parameter: click.Parameter, value: str | None
) -> Shard | None:
    if value is None:
        return None
    try:
        return Shard.parse(value)
    except ShardError as error:
        raise click.BadParameter(str(error)) from None


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
    "--shard",
    metavar="I/N",
    callback=_parse_shard,
    help="Run only shard I of N (a stable split by case id, for a CI matrix); the gate is "
    "applied when `harness report` merges the N shard directories.",
)
@click.option(
    "--affected-by",
    metavar="REF",
    help="Re-record only the cases a change since REF affects (as `harness diff` names "
    "them, plus changed or new prompts), replay the rest, gate against --baseline "
    f"[default: {DEFAULT_BASELINE}].",
)
@click.option("--quiet", is_flag=True, help="No progress bar, only the final lines.")
@click.option(
    "--surface",
    type=click.Choice(["openapi", "mcp"]),
    default="openapi",
    show_default=True,
    help="Tools from the spec (openapi) or from an MCP server's tools/list, calls through "
    "tools/call (mcp).",
)
@click.option(
    "--mcp-url",
    help="MCP server for --surface mcp (default: the proxy's own, in-process); "
    "auth from CHATGPT_SECRET.",
)
def eval_command(
    execute: bool,
    max_turns: int,
    concurrency: int,
    repeat: int,
    resume: Path | None,
    record: str,
    out: Path,
    baseline: Path | None,
    shard: Shard | None,
    affected_by: str | None,
    quiet: bool,
    surface: str,
    mcp_url: str | None,
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
        shard=shard,
        progress=not quiet,
        surface=surface,
        mcp_url=mcp_url,
        affected_by=affected_by,
    )
    started: list[Path] = []
    try:
        with command_errors():
            gate_config = GateConfig.from_pyproject()
            reports = _Reports(baseline, gate_config.critical_tag)
            summary = asyncio.run(run_eval(config, on_run_dir=started.append, handlers=[reports]))
            if _empty_shard(summary.run):
                click.echo(f"{summary.run_dir}: shard {_shard_of(summary)}: no case falls in it")
                raise SystemExit(OK)
    except KeyboardInterrupt:
        where = f"harness eval --resume {started[0]}" if started else "harness eval --resume"
        click.echo(f"interrupted; finished cases are kept; continue with: {where}", err=True)
        raise SystemExit(INTERRUPTED) from None
    click.echo(_summary_line(summary))
    errors = [result for result in summary.results if result.status is Status.ERROR]
    if errors:
        first = " ".join(str(errors[0].error).split())
        click.echo(f"first error: {errors[0].case_id}: {first}", err=True)
    if affected_by is not None:
        from harness.eval.affected import affected_lines  # only --affected-by needs git/diff

        click.echo(affected_lines(summary, affected_by, baseline))
    gate = reports.gate(summary.run_dir, gate_config)
    exit_code = gate.exit_code
    if "shard" in summary.run and exit_code == CHECK_FAILED:
        # Thresholds hold for the whole suite, not for a shard of it.
        click.echo(f"shard {_shard_of(summary)}: {gate.reason}; the gate applies to the merge")
        exit_code = OK
    else:
        click.echo(gate.reason)
    stale = [result for result in summary.results if result.status is Status.STALE]
    if stale:
        click.echo(f"first stale: {stale[0].case_id}: {stale[0].reason}", err=True)
    if stale and record == "none":
        click.echo("stale cassettes: re-record with --record new (needs the model)", err=True)
    budgets = run_budgets(summary.run_dir) if execute else None
    if budgets is not None:
        for line in budgets.text_lines():
            click.echo(line)
        if not budgets.passed and exit_code == OK:
            exit_code = CHECK_FAILED
    raise SystemExit(exit_code)


def _summary_line(summary: RunSummary) -> str:
    counts = summary.status_counts
    ran = sum(counts.values())
    parts = ", ".join(f"{counts[status]} {status}" for status in ("pass", "fail", "error", "stale"))
    skipped = f" ({summary.skipped} already done)" if summary.skipped else ""
    runs = "run" if ran == 1 else "runs"
    return f"{summary.run_dir}: {ran} {runs}{skipped}: {parts}"


def _shard_of(summary: RunSummary) -> str:
    return f"{summary.run['shard']['index']}/{summary.run['shard']['count']}"


def _empty_shard(run: dict[str, Any]) -> bool:
    return "shard" in run and run["shard"]["cases"] == 0


@dataclass
class _Reports:
    """Writes a completed run's reports (a consumer of the run's events); an empty shard
    has none. The gate then judges the runs the reports were written from."""

    baseline: Path | None
    critical_tag: str
    loaded: tuple[Run, Run | None] | None = None  # the run and its baseline, once written

    def handle(self, event: Event) -> None:
        if isinstance(event, RunFinished) and event.completed and not _empty_shard(event.run):
            run = load_run(event.run_dir, load_pricing(), event.records)
            baseline = load_run(self.baseline) if self.baseline is not None else None
            write_run_reports(run, baseline, self.critical_tag)
            self.loaded = (run, baseline)

    def gate(self, run_dir: Path, config: GateConfig) -> GateResult:
        """The gate's verdict on the run (read from ``run_dir`` when no report was written)."""
        if self.loaded is None:
            return evaluate_gate(run_dir, self.baseline, config)
        return gate_loaded(*self.loaded, config)
