"""The Markdown summary of a run, short enough for a pull-request comment or CI step summary."""

from __future__ import annotations

from typing import Any

from harness.report.stats import Rate

TOP_FAILURES = 10
REASON_WIDTH = 120


def percent(value: float | None) -> str:
    """``0.4567`` -> ``45.7%``; ``None``/NaN -> ``n/a``."""
    if value is None or value != value:
        return "n/a"
    return f"{value:.1%}"


def format_rate(rate: Rate | dict[str, Any]) -> str:
    """``45.7% (16/35, 95% CI 30.0–60.4%)`` from a Rate or its dict form."""
    data = rate.to_dict() if isinstance(rate, Rate) else rate
    if not data["total"]:
        return "n/a (0 cases)"
    return (
        f"{percent(data['rate'])} ({data['passed']}/{data['total']}, "
        f"95% CI {percent(data['ci_low'])}–{percent(data['ci_high'])})"
    )


def cell(value: Any) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped, long text cut."""
    text = " ".join(str(value).split()).replace("|", "\\|")
    return text if len(text) <= REASON_WIDTH else text[: REASON_WIDTH - 1] + "…"


def table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    """A GitHub-flavoured Markdown table as lines."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return lines


def render_summary(summary: dict[str, Any], comparison_markdown: str | None = None) -> str:
    """The run summary from ``aggregate.summarize`` output, plus a baseline comparison."""
    run = summary["run"]
    overall = summary["overall"]
    statuses = overall["statuses"]
    cases = summary["cases"]
    lines = [
        f"## Eval `{run.get('run_id', 'run')}`"
        + (f" — {run['model']}" if run.get("model") else ""),
        "",
        f"**Pass rate {format_rate(overall)}**",
        "",
        f"- Status: {statuses['pass']} pass, {statuses['fail']} fail, "
        f"{statuses['error']} error, {statuses['stale']} stale",
    ]
    if len(cases["pass_hat_k"]) > 1:
        curve = ", ".join(f"pass^{k} {percent(v)}" for k, v in cases["pass_hat_k"].items())
        lines.append(f"- Cases: {cases['total']}; {curve}")
    if cases["flaky"]:
        shown = ", ".join(f"`{case_id}`" for case_id in cases["flaky"][:TOP_FAILURES])
        hidden = len(cases["flaky"]) - TOP_FAILURES
        more = f" (+{hidden} more)" if hidden > 0 else ""
        lines.append(f"- Flaky ({len(cases['flaky'])}): {shown}{more}")
    usage = summary["usage"]
    usage_line = (
        f"- Tokens: {usage['prompt_tokens']} prompt, {usage['completion_tokens']} completion; "
        f"latency p50 {_seconds(usage['latency_p50_s'])}, p95 {_seconds(usage['latency_p95_s'])}"
    )
    if usage["cost_usd"] is not None:
        usage_line += f"; cost ${usage['cost_usd']:.4f}"
    lines += [usage_line, "", "| operation | pass rate | 95% CI | n |", "|---|---|---|---|"]
    lines += [
        f"| {cell(op['operation'])} | {percent(op['rate'])} | "
        f"{percent(op['ci_low'])}–{percent(op['ci_high'])} | {op['total']} |"
        for op in summary["operations"]
    ]
    failing = [case for case in summary["per_case"] if case["passes"] < case["tries"]]
    failing.sort(key=lambda case: (case["pass_fraction"], case["case_id"]))
    if failing:
        lines += ["", f"**Failing cases** ({len(failing)}, worst first)", ""]
        lines += table(
            ["case", "operation", "passed", "code", "reason"],
            [
                [
                    f"`{c['case_id']}`",
                    c["operation"],
                    f"{c['passes']}/{c['tries']}",
                    f"`{c['reason_code']}`" if c.get("reason_code") else "",
                    c["reason"] or "",
                ]
                for c in failing[:TOP_FAILURES]
            ],
        )
        if len(failing) > TOP_FAILURES:
            lines.append(f"\n…and {len(failing) - TOP_FAILURES} more (see report.html).")
    if summary.get("reason_codes"):
        lines += ["", "**Failures by reason code**", ""]
        lines += table(
            ["code", "rows", "cases", "example"],
            [
                [f"`{c['code']}`", c["rows"], c["cases"], c["example"] or ""]
                for c in summary["reason_codes"]
            ],
        )
    if comparison_markdown:
        lines += ["", comparison_markdown.rstrip()]
    return "\n".join(lines) + "\n"


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}s"
