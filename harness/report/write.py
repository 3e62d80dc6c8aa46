"""Write every report file of a run into its directory."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from harness.budgets import BudgetConfigError, BudgetReport, budget_report
from harness.proxy.request_log import read_records
from harness.report.aggregate import summarize
from harness.report.compare import compare_frames
from harness.report.config import ConfigError, load_pricing
from harness.report.html import render_html
from harness.report.junit import render_junit
from harness.report.load import load_run
from harness.report.markdown import render_summary
from harness.report.redact import redactor

REQUEST_LOG_FILE = "requests.jsonl"
"""Written by `harness eval --execute` (the in-process proxy's request log)."""
NESTED_COLUMNS = (
    "tags",
    "expected_operations",
    "actual_operations",
    "expected",
    "actual_calls",
    "call_verdicts",
)


def write_reports(
    run_dir: Path | str,
    baseline_dir: Path | str | None = None,
    pricing: dict[str, dict[str, float]] | None = None,
    critical_tag: str = "critical",
) -> dict[str, Path]:
    """(Re)generate the reports of ``run_dir`` and return them by file name.

    Writes summary.md, report.html, junit.xml, results.csv, results.parquet (when pyarrow is
    installed) and aggregates.json; with ``baseline_dir`` also comparison.md and
    comparison.json. ``pricing`` defaults to ``[tool.harness.pricing]`` of pyproject.toml.
    """
    run_dir = Path(run_dir)
    df = load_run(run_dir, load_pricing() if pricing is None else pricing)
    summary = summarize(df)
    comparison = (
        compare_frames(load_run(baseline_dir), df, critical_tag=critical_tag)
        if baseline_dir is not None
        else None
    )
    comparison_markdown = comparison.to_markdown() if comparison else None
    comparison_data = comparison.to_dict() if comparison else None
    budgets = run_budgets(run_dir)
    if budgets is not None:
        summary["budgets"] = budgets.to_dict()
    texts = {
        "summary.md": render_summary(summary, comparison_markdown)
        + ("\n" + "\n".join(budgets.markdown_lines()) + "\n" if budgets else ""),
        "report.html": render_html(df, summary, comparison_data, critical_tag),
        "junit.xml": render_junit(df),
        "aggregates.json": _json(summary),
    }
    if comparison:
        texts["comparison.md"] = comparison_markdown
        texts["comparison.json"] = _json(comparison_data)
    redact = redactor()
    paths = {}
    for name, text in texts.items():
        paths[name] = run_dir / name
        paths[name].write_text(redact(text), encoding="utf-8")
    flat = flat_frame(df, redact)
    paths["results.csv"] = run_dir / "results.csv"
    flat.to_csv(paths["results.csv"], index=False)
    if importlib.util.find_spec("pyarrow") is not None:
        paths["results.parquet"] = run_dir / "results.parquet"
        flat.to_parquet(paths["results.parquet"], index=False)
    return paths


def run_budgets(run_dir: Path) -> BudgetReport | None:
    """The budgets measured from the run's request log (runs with --execute), else None."""
    log = run_dir / REQUEST_LOG_FILE
    if not log.exists():
        return None
    try:
        return budget_report(read_records(log))
    except BudgetConfigError as error:
        raise ConfigError(str(error)) from error


def flat_frame(df: pd.DataFrame, redact: Callable[[str], str]) -> pd.DataFrame:
    """The run's rows with nested columns as JSON text and secrets redacted (for CSV/Parquet)."""
    flat = df.copy()
    for column in NESTED_COLUMNS:
        flat[column] = flat[column].map(lambda value: json.dumps(value, ensure_ascii=False))
    for column in flat.columns:
        if flat[column].dtype == object or pd.api.types.is_string_dtype(flat[column]):
            flat[column] = flat[column].map(lambda v: redact(v) if isinstance(v, str) else v)
    return flat


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
