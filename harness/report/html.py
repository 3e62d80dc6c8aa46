"""The self-contained HTML report (jinja2 template, inline CSS and SVG charts)."""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from harness.report import svg
from harness.report.load import Run
from harness.report.markdown import percent
from harness.results import ARGUMENT_VERDICTS

if TYPE_CHECKING:
    import jinja2

MAX_FAILURES = 200


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}s"


def _heat(count: int, maximum: int) -> str:
    if not count or not maximum:
        return "transparent"
    return f"rgba(43, 108, 176, {0.12 + 0.6 * count / maximum:.2f})"


@functools.cache
def _template() -> jinja2.Template:
    """The report template, compiled on first use (commands that write no HTML skip it)."""
    import jinja2  # imported here: `harness compare` and the gate do not need it

    from harness.report.template_cache import bytecode_cache

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("harness.report", "templates"),
        bytecode_cache=bytecode_cache(),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(percent=percent, seconds=_seconds, heat=_heat)
    return environment.get_template("report.html.j2")


def render_html(
    run: Run,
    summary: dict[str, Any],
    comparison: dict[str, Any] | None = None,
    critical_tag: str = "critical",
) -> str:
    """The HTML report of a run, from its rows and ``aggregate.summarize`` output."""
    failing = [row for row in run.rows if not row["passed"]]
    failures = [_failure(row) for row in failing[:MAX_FAILURES]]
    matrix = summary["confusion"]["matrix"]
    chart_rows = [{"label": row["operation"], **row} for row in summary["operations"]]
    latencies = [float(value) for value in run.column("latency_s") if value is not None]
    return _template().render(
        run=summary["run"],
        overall=summary["overall"],
        cases=summary["cases"],
        usage=summary["usage"],
        operations=summary["operations"],
        tags=summary["tags"],
        parameters=summary["parameters"],
        reason_codes=summary["reason_codes"],
        argument_verdicts=ARGUMENT_VERDICTS,
        confusion={**summary["confusion"], "max": max((max(r) for r in matrix if r), default=0)},
        failures=failures,
        failures_hidden=max(len(failing) - MAX_FAILURES, 0),
        comparison=comparison,
        critical_tag=critical_tag,
        budgets=summary.get("budgets"),
        operation_chart=Markup(svg.rate_bars(chart_rows)),
        latency_chart=Markup(svg.histogram(latencies, "Latency per prompt")),
    )


def _failure(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "expected_json": json.dumps(row["expected"], indent=2, ensure_ascii=False),
        "actual_json": json.dumps(
            [
                {"name": c.get("name"), "arguments": c.get("arguments"), **_call_error(c)}
                for c in row["actual_calls"]
            ],
            indent=2,
            ensure_ascii=False,
        ),
    }


def _call_error(call: dict[str, Any]) -> dict[str, Any]:
    return {"error": call["error"]} if call.get("error") else {}
