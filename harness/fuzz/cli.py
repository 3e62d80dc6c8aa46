"""`harness fuzz`: contract fuzzing of the proxy with schemathesis, plus upstream fault runs."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from harness.contract.load import DEFAULT_MANIFEST_PATH, DEFAULT_SPEC_PATH
from harness.errors import CHECK_FAILED, command_errors
from harness.fuzz.config import PHASES, FuzzOptions
from harness.fuzz.fault_scenarios import FaultScenario, scenario_names, select_scenarios
from harness.fuzz.fuzz_suite import (
    ReportSpec,
    new_secret,
    new_seed,
    run_contract_offline,
    run_contract_url,
    run_fault,
    write_summary,
)
from harness.fuzz.runner import REPORT_FORMATS, RunResult

if TYPE_CHECKING:
    from harness.budgets import Budget, BudgetReport

DEFAULT_REPORT_ROOT = Path("reports/fuzz")
REQUEST_LOG_FILE = "requests.jsonl"
DEFAULT_FAULT_EXAMPLES = 20


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _parse_list(choices: tuple[str, ...]) -> Callable[..., tuple[str, ...]]:
    """A click callback splitting a comma-separated value and refusing names not in ``choices``."""

    def parse(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...]:
        if value is None:
            return ()
        parts = _split(value)
        unknown = sorted(set(parts) - set(choices))
        if unknown:
            raise click.BadParameter(
                f"unknown {', '.join(unknown)}; choose from {', '.join(choices)}"
            )
        return parts

    return parse


@click.command("fuzz")
@click.option(
    "--url",
    help="Fuzz a running proxy at this origin (e.g. http://127.0.0.1:8000) instead of an "
    "in-process one; auth from CHATGPT_SECRET.",
)
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help=f"The spec the in-process proxy serves and is fuzzed with [default: {DEFAULT_SPEC_PATH}].",
)
@click.option(
    "--manifest",
    "manifest_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help=f"The manifest the in-process proxy serves [default: {DEFAULT_MANIFEST_PATH}].",
)
@click.option(
    "--max-examples",
    default=100,
    show_default=True,
    type=click.IntRange(min=1),
    help="Generated examples per operation in the fuzzing and stateful phases "
    "(schemathesis' generation.max-examples). The examples and coverage phases send every "
    "case the schema defines whatever this says (the coverage phase about 75 per operation "
    "here): bound the whole run with --max-requests.",
)
@click.option(
    "--max-requests",
    type=click.IntRange(min=1),
    default=None,
    help="Stop each run (contract and each fault run) after this many requests, all phases "
    "and operations included.",
)
@click.option("--seed", type=int, help="Seed for every run; printed, so a run can be repeated.")
@click.option(
    "--phases",
    default=",".join(PHASES),
    show_default=True,
    callback=_parse_list(PHASES),
    help="Comma-separated schemathesis phases.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Concurrent schemathesis workers.",
)
@click.option(
    "--report",
    "report_formats",
    callback=_parse_list(REPORT_FORMATS),
    help="Comma-separated report formats to write: junit, json.",
)
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help=f"Where reports go [default: {DEFAULT_REPORT_ROOT}/<timestamp>].",
)
@click.option(
    "--faults",
    "fault_names",
    help=f"Upstream fault runs after the contract run: all (default in-process), none, "
    f"or some of {', '.join(scenario_names())}.",
)
@click.option(
    "--fault-max-examples",
    default=DEFAULT_FAULT_EXAMPLES,
    show_default=True,
    type=click.IntRange(min=1),
    help="Examples per operation and phase in fault runs.",
)
@click.option(
    "--surface",
    type=click.Choice(["openapi", "mcp"]),
    default="openapi",
    show_default=True,
    help="Fuzz the REST routes with schemathesis (openapi) or the MCP tools with "
    "property-based tools/call arguments (mcp; --phases and --workers apply to openapi).",
)
@click.option(
    "--mcp-url",
    help="With --surface mcp: fuzz the MCP server at this URL (e.g. "
    "http://127.0.0.1:8000/mcp) instead of an in-process one; auth from CHATGPT_SECRET.",
)
def fuzz(
    surface: str,
    mcp_url: str | None,
    url: str | None,
    spec_path: Path | None,
    manifest_path: Path | None,
    max_examples: int,
    max_requests: int | None,
    seed: int | None,
    phases: tuple[str, ...],
    workers: int,
    report_formats: tuple[str, ...],
    report_dir: Path | None,
    fault_names: str | None,
    fault_max_examples: int,
) -> None:
    """Throw the proxy's own spec at it: every contract check, then upstream faults.

    Exits 1 when any check fails; each failure prints a curl command and the seed; 2 on bad
    options or a spec the proxy cannot load.
    """
    if mcp_url and surface != "mcp":
        raise click.UsageError("--mcp-url needs --surface mcp")
    if surface == "mcp" and url:
        raise click.UsageError("--url fuzzes the REST routes; use --mcp-url with --surface mcp")
    if url and (spec_path or manifest_path):
        raise click.UsageError(
            "--spec and --manifest set up the in-process proxy; a proxy at --url serves its own"
        )
    scenarios = _scenarios(fault_names, url or mcp_url)
    seed = seed if seed is not None else new_seed()
    options = FuzzOptions(
        max_examples=max_examples,
        seed=seed,
        phases=phases,
        workers=workers,
        max_requests=max_requests,
        spec_path=spec_path,
        manifest_path=manifest_path,
    )
    if report_formats and report_dir is None:
        report_dir = DEFAULT_REPORT_ROOT / time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    reports = ReportSpec(formats=report_formats, directory=report_dir)

    limits = _budget_limits()
    results: list[RunResult] = []
    budgets = None
    if surface == "mcp" and mcp_url:
        results = _fuzz_mcp(mcp_url, max_examples, fault_max_examples, seed, scenarios, reports)
    elif surface == "mcp":
        with _request_log(report_dir) as request_log:
            results = _fuzz_mcp(
                None, max_examples, fault_max_examples, seed, scenarios, reports, request_log
            )
            budgets = _budgets(request_log, limits)
    elif url:
        secret = os.environ.get("CHATGPT_SECRET")
        results.append(_echo(run_contract_url(url, options, secret, reports)))
    else:
        secret = new_secret()
        with _request_log(report_dir) as request_log:
            results.append(_echo(run_contract_offline(options, secret, reports, request_log)))
            budgets = _budgets(request_log, limits)
    if url or mcp_url:
        click.echo(
            f"budgets: not measured from here for {'--url' if url else '--mcp-url'}; check the "
            "server's --request-log with `harness budgets FILE`"
        )
    fault_run_options = replace(options, max_examples=fault_max_examples)
    for scenario in scenarios if surface == "openapi" else ():
        results.append(_echo(run_fault(scenario, fault_run_options, secret, reports)))
    for line in budgets.text_lines() if budgets is not None else ():
        click.echo(line)
    if report_dir is not None:
        path = write_summary(
            results, report_dir / "summary.json", budgets.to_dict() if budgets else None
        )
        click.echo(f"reports: {report_dir} (summary: {path})")
    failed = [result for result in results if not result.ok]
    if failed:
        click.echo(f"FAILED: {len(failed)} of {len(results)} runs; reproduce with --seed {seed}")
        raise SystemExit(CHECK_FAILED)
    if budgets is not None and not budgets.passed:
        click.echo(f"FAILED: {len(budgets.violations)} budget violation(s)")
        raise SystemExit(CHECK_FAILED)


@contextmanager
def _request_log(report_dir: Path | None) -> Iterator[Path]:
    """Where the contract run logs its calls: the report directory, else a temporary file."""
    if report_dir is not None:
        report_dir.mkdir(parents=True, exist_ok=True)
        yield report_dir / REQUEST_LOG_FILE
        return
    with tempfile.TemporaryDirectory(prefix="harness-fuzz-") as directory:
        yield Path(directory) / REQUEST_LOG_FILE


def _budget_limits() -> dict[str, Budget]:
    """`[tool.harness.budgets]`, read before any run so a bad table fails fast."""
    from harness.budgets import load_budgets

    with command_errors(as_usage=True):
        return load_budgets()


def _budgets(request_log: Path, limits: dict[str, Budget]) -> BudgetReport:
    """The contract run's largest responses and p95 latencies against the budgets (printed
    after every run's line)."""
    from harness.budgets import check_budgets, measure
    from harness.proxy.request_log import read_records

    records = list(read_records(request_log)) if request_log.exists() else []
    return check_budgets(measure(records), limits)


def _fuzz_mcp(
    mcp_url: str | None,
    max_examples: int,
    fault_max_examples: int,
    seed: int,
    scenarios: tuple[FaultScenario, ...],
    reports: ReportSpec,
    request_log: Path | None = None,
) -> list[RunResult]:
    """The MCP contract run (in-process, logging its calls to ``request_log``, or at
    ``mcp_url``), then one run per fault scenario."""
    from harness.fuzz import mcp, mcp_report

    def report(result: RunResult) -> RunResult:
        directory = reports.for_run(result.name)
        if directory is not None:
            mcp_report.write_reports(result, directory, reports.formats)
        return _echo(result)

    options = mcp.McpFuzzOptions(max_examples=max_examples, seed=seed)
    if mcp_url:
        secret = os.environ.get("CHATGPT_SECRET")
        results = [report(mcp.run_mcp_url(mcp_url, options, secret))]
    else:
        secret = new_secret()
        results = [report(mcp.run_mcp_offline(options, secret, request_log))]
    fault_run_options = replace(options, max_examples=fault_max_examples)
    for scenario in scenarios:
        results.append(report(mcp.run_mcp_fault(scenario, fault_run_options, secret)))
    return results


def _scenarios(fault_names: str | None, url: str | None) -> tuple[FaultScenario, ...]:
    if url:
        if fault_names not in (None, "none"):
            raise click.UsageError("--faults needs the in-process proxy; drop --url or --faults")
        return ()
    names = _split(fault_names or "all")
    if names == ("none",):
        return ()
    try:
        return select_scenarios(names)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults") from None


def _echo(result: RunResult) -> RunResult:
    click.echo(result.summary_line())
    for failure in result.failures:
        click.echo(
            f"  FAIL {failure.operation} [{failure.check}] {failure.title}"
            f" (status {failure.status}; seed {result.seed})"
        )
        click.echo(f"    {failure.curl}")
    for error in result.errors:
        click.echo(f"  ERROR {error}")
    return result
