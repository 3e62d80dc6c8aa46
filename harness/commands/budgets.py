"""`harness budgets LOG...`: check request logs of any proxy (either surface) against budgets."""

from __future__ import annotations

import json
from pathlib import Path

import click

from harness.errors import CHECK_FAILED, command_errors


@click.command("budgets")
@click.argument(
    "logs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
def budgets(logs: tuple[Path, ...], output_format: str) -> None:
    """Measure the largest response and p95 latency per operation in request logs (from
    `harness serve --request-log`, or a fuzz or eval run directory) and check them against
    [tool.harness.budgets]. Exit 1 when a budget is broken or nothing was measured."""
    from harness.budgets import budget_report
    from harness.proxy.request_log import read_records

    records = [record for log in logs for record in read_records(log)]
    with command_errors(as_usage=True):
        report = budget_report(records)
    if output_format == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
    elif output_format == "markdown":
        click.echo("\n".join(report.markdown_lines()))
    else:
        click.echo("\n".join(report.text_lines()))
    if not report.measured or not report.passed:
        raise SystemExit(CHECK_FAILED)
