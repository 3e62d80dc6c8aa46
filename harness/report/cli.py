"""`harness report` and `harness compare`.

Exit codes: 0 success (and the gate passed, with ``--gate``); 1 the gate failed; 2 a harness
error (unreadable run or baseline, bad ``[tool.harness.*]`` config, stale cassettes).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from harness.errors import command_errors
from harness.formats import FormatChoice
from harness.report.compare import compare_runs
from harness.report.config import GateConfig
from harness.report.gate import evaluate_gate, thresholds_from_baseline
from harness.report.load import load_run
from harness.report.merge import merge_shards
from harness.report.write import write_reports

RUN_DIR = click.Path(exists=True, file_okay=False, path_type=Path)
PYPROJECT_OPTION = click.option(
    "--pyproject",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="pyproject.toml with [tool.harness.gate] (default: found from the current directory up).",
)
GATE_OPTION = click.option(
    "--gate", is_flag=True, help="Apply [tool.harness.gate] and exit 1 when it fails."
)


def _apply_gate(run_dir: Path, baseline: Path | None, pyproject: Path | None) -> None:
    result = evaluate_gate(run_dir, baseline, GateConfig.from_pyproject(pyproject))
    click.echo(result.reason, err=not result.passed)
    sys.exit(result.exit_code)


@click.command()
@click.argument("run_dirs", metavar="RUN_DIR...", nargs=-1, required=True, type=RUN_DIR)
@click.option("--baseline", type=RUN_DIR, default=None, help="Baseline run to compare with.")
@GATE_OPTION
@PYPROJECT_OPTION
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Where the merged run directory is created (several RUN_DIRs only).",
)
@click.option(
    "--suggest-thresholds",
    is_flag=True,
    help="Print the [tool.harness.gate] table derived from RUN_DIR as a baseline "
    "(Wilson lower bounds of its pass rates) instead of writing reports.",
)
def report(
    run_dirs: tuple[Path, ...],
    baseline: Path | None,
    gate: bool,
    pyproject: Path | None,
    out: Path,
    suggest_thresholds: bool,
) -> None:
    """Regenerate every report file of RUN_DIR (summary.md, report.html, junit.xml, ...).

    Several RUN_DIRs are the shards of one run (`harness eval --shard I/N`): they are merged
    into a new run directory under --out, whose reports are written (and gated with --gate).
    """
    run_dir = run_dirs[0]
    if len(run_dirs) > 1:
        with command_errors():
            run_dir = merge_shards(run_dirs, out)
        click.echo(f"merged {len(run_dirs)} shards into {run_dir}", err=True)
    if suggest_thresholds:
        with command_errors():
            config = GateConfig.from_pyproject(pyproject)
            click.echo(thresholds_from_baseline(load_run(run_dir), config).to_toml(), nl=False)
        return
    with command_errors():
        critical_tag = GateConfig.from_pyproject(pyproject).critical_tag
        paths = write_reports(run_dir, baseline, critical_tag=critical_tag)
    for path in paths.values():
        click.echo(str(path))
    if gate:
        _apply_gate(run_dir, baseline, pyproject)


@click.command()
@click.argument("baseline", type=RUN_DIR)
@click.argument("run_dir", metavar="RUN", type=RUN_DIR)
@click.option(
    "--format",
    "output_format",
    type=FormatChoice(["markdown", "json"]),
    default="markdown",
    show_default=True,
    help="Output format (md is accepted for markdown).",
)
@GATE_OPTION
@PYPROJECT_OPTION
def compare(
    baseline: Path, run_dir: Path, output_format: str, gate: bool, pyproject: Path | None
) -> None:
    """Compare RUN with BASELINE: flipped cases, per-operation deltas, McNemar's exact test."""
    with command_errors():
        config = GateConfig.from_pyproject(pyproject)
        comparison = compare_runs(baseline, run_dir, config.alpha, config.critical_tag)
    if output_format == "json":
        click.echo(json.dumps(comparison.to_dict(), indent=2, default=str))
    else:
        click.echo(comparison.to_markdown(), nl=False)
    if gate:
        _apply_gate(run_dir, baseline, pyproject)
