"""Write every report file of a run into its directory."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from harness.budgets import BudgetConfigError, BudgetReport, budget_report
from harness.proxy.request_log import read_records
from harness.report.aggregate import summarize
from harness.report.compare import compare_loaded
from harness.report.config import ConfigError, load_pricing
from harness.report.html import render_html
from harness.report.junit import render_junit
from harness.report.load import COLUMNS, Run, load_run
from harness.report.markdown import render_summary
from harness.report.redact import redactor

REQUEST_LOG_FILE = "requests.jsonl"
"""Written by `harness eval --execute` (the in-process proxy's request log)."""
_NESTED_JSON = json.JSONEncoder(ensure_ascii=False)
"""How a nested value is written in a CSV or Parquet cell (``json.dumps``' text)."""
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
    run = load_run(run_dir, load_pricing() if pricing is None else pricing)
    baseline = load_run(baseline_dir) if baseline_dir is not None else None
    return write_run_reports(run, baseline, critical_tag)


def write_run_reports(
    run: Run, baseline: Run | None = None, critical_tag: str = "critical"
) -> dict[str, Path]:
    """:func:`write_reports` for a run (and baseline) already loaded, into ``run.directory``."""
    run_dir = run.directory
    summary = summarize(run)
    comparison = (
        compare_loaded(baseline, run, critical_tag=critical_tag) if baseline is not None else None
    )
    comparison_markdown = comparison.to_markdown() if comparison else None
    comparison_data = comparison.to_dict() if comparison else None
    budgets = run_budgets(run_dir)
    if budgets is not None:
        summary["budgets"] = budgets.to_dict()
    texts = {
        "summary.md": render_summary(summary, comparison_markdown)
        + ("\n" + "\n".join(budgets.markdown_lines()) + "\n" if budgets else ""),
        "report.html": render_html(run, summary, comparison_data, critical_tag),
        "junit.xml": render_junit(run),
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
    columns = flat_columns(run, redact)
    paths["results.csv"] = run_dir / "results.csv"
    write_csv(paths["results.csv"], columns)
    if importlib.util.find_spec("pyarrow") is not None:
        paths["results.parquet"] = run_dir / "results.parquet"
        write_parquet(paths["results.parquet"], columns)
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


def flat_columns(run: Run, redact: Callable[[str], str]) -> dict[str, list[Any]]:
    """The run's columns with nested values as JSON text and secrets redacted (for
    CSV/Parquet)."""
    columns = {}
    for name in COLUMNS:
        values = run.column(name)
        if name in NESTED_COLUMNS:
            values = [_NESTED_JSON.encode(value) for value in values]
        columns[name] = [redact(value) if isinstance(value, str) else value for value in values]
    return columns


def column_kind(values: list[Any]) -> str:
    """The type a column's values share, as pandas infers it from rows: ``int`` (integers,
    none missing), ``float`` (numbers, or integers with some missing), ``bool``, ``str``,
    ``null`` (all missing) or ``object`` (mixed: written as text)."""
    types = set(map(type, values))
    missing = type(None) in types
    kinds = {_kind(kind) for kind in types if kind is not type(None)}
    if not kinds:
        return "null"
    if len(kinds) > 1:
        return "float" if kinds == {"int", "float"} else "object"
    kind = kinds.pop()
    return "float" if kind == "int" and missing else kind


def _kind(kind: type) -> str:
    """The column kind of values of type ``kind``."""
    if issubclass(kind, bool):
        return "bool"
    if issubclass(kind, int):
        return "int"
    if issubclass(kind, float):
        return "float"
    return "str" if issubclass(kind, str) else "object"


def write_csv(path: Path, columns: dict[str, list[Any]]) -> None:
    """The columns as CSV, each value written as pandas' ``to_csv`` writes its column's
    type (a float column's integers as ``12.0``, a missing value as an empty field)."""
    cells = []
    for values in columns.values():
        as_float = column_kind(values) == "float"
        cells.append(
            [
                "" if value is None else repr(float(value)) if as_float else str(value)
                for value in values
            ]
        )
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(zip(*cells, strict=True))


def write_parquet(path: Path, columns: dict[str, list[Any]]) -> None:
    """The columns as a Parquet file, with the Arrow types pandas' ``to_parquet`` gives them.

    The table is built by Arrow's JSON reader from the rows as JSON lines: ``pyarrow.array``
    on Python lists imports pandas when it is installed (0.15 s), the reader does not.
    """
    import pyarrow as pa  # imported here: only this file needs it
    import pyarrow.json
    import pyarrow.parquet

    types = {
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "str": pa.large_string(),
        "object": pa.large_string(),
        "null": pa.null(),
    }
    kinds = {name: column_kind(values) for name, values in columns.items()}
    schema = pa.schema([(name, types[kind]) for name, kind in kinds.items()])
    convert = {"float": float, "object": str}
    converted = {name: convert[kind] for name, kind in kinds.items() if kind in convert}
    # One buffer, each line written as it is made: kept in a list, orjson's bytes objects took
    # seven times their length in memory (70 MiB more at 10,000 cases).
    lines = io.BytesIO()
    for row in zip(*columns.values(), strict=True):
        record = dict(zip(columns, row, strict=True))
        for name, to in converted.items():
            if record[name] is not None:
                record[name] = to(record[name])
        lines.write(orjson.dumps(record) + b"\n")
    lines.seek(0)
    table = pyarrow.json.read_json(
        lines,
        read_options=pyarrow.json.ReadOptions(use_threads=False),
        parse_options=pyarrow.json.ParseOptions(
            explicit_schema=schema, unexpected_field_behavior="error"
        ),
    )
    pyarrow.parquet.write_table(table, path)


def _json(data: Any) -> str:
    """``data`` as indented JSON (orjson: json.dumps indents in Python, 60 µs a case)."""
    options = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE
    return orjson.dumps(data, default=str, option=options).decode()
