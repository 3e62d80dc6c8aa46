"""Aggregates of a run's DataFrame: pass rates with Wilson intervals, pass^k, flakiness."""

from __future__ import annotations

from collections import Counter
from itertools import zip_longest
from typing import Any

import pandas as pd

from harness.report.stats import Rate, pass_hat_k, wilson_rate
from harness.results import ARGUMENT_VERDICTS, NO_CALL, STATUSES

NONE_LABEL = "(none)"
NO_CODE = "(no code)"
"""The code of a row that did not pass in a run written before reason codes existed."""


def overall_rate(df: pd.DataFrame) -> Rate:
    """Pass rate over every (case, repeat) row; stale and error rows count as not passed."""
    return wilson_rate(int(df["passed"].sum()), len(df))


def status_counts(df: pd.DataFrame) -> dict[str, int]:
    """Rows per status, every status present (zero when absent)."""
    counts = df["status"].value_counts()
    return {status: int(counts.get(status, 0)) for status in STATUSES}


def rates_by(df: pd.DataFrame, column: str, name: str | None = None) -> pd.DataFrame:
    """Pass rate per value of ``column`` (a list column such as ``tags`` is exploded).

    Columns: the key (named ``name``, default ``column``), passed, total, rate, ci_low,
    ci_high and one count per status.
    """
    name = name or column
    rows = df.explode(column) if df[column].map(lambda v: isinstance(v, list)).any() else df
    rows = rows.dropna(subset=[column])
    records = []
    for key, group in rows.groupby(column, sort=True):
        records.append({name: key, **overall_rate(group).to_dict(), **status_counts(group)})
    return pd.DataFrame(
        records, columns=[name, "passed", "total", "rate", "ci_low", "ci_high", *STATUSES]
    )


def operation_rates(df: pd.DataFrame) -> pd.DataFrame:
    """Pass rate per expected operation (see ``rates_by``).

    A multi-call case counts toward each operation it expects; a case that expects no call
    counts toward ``(no call)``.
    """
    operations = df["expected_operations"].map(lambda expected: list(expected) or [NO_CALL])
    return rates_by(df.assign(operation=operations), "operation")


def parameter_rates(df: pd.DataFrame) -> pd.DataFrame:
    """Per argument name: how often its verdict was ``correct``, with counts of every verdict."""
    counts: dict[str, Counter[str]] = {}
    for verdicts in df["call_verdicts"]:
        for call in verdicts:
            for name, verdict in (call.get("arguments") or {}).items():
                counts.setdefault(name, Counter())[verdict] += 1
    records = [
        {
            "parameter": name,
            **wilson_rate(tally["correct"], sum(tally.values())).to_dict(),
            **{verdict: tally.get(verdict, 0) for verdict in ARGUMENT_VERDICTS},
        }
        for name, tally in sorted(counts.items())
    ]
    columns = ["parameter", "passed", "total", "rate", "ci_low", "ci_high", *ARGUMENT_VERDICTS]
    return pd.DataFrame(records, columns=columns)


def reason_codes(df: pd.DataFrame) -> pd.DataFrame:
    """Rows that did not pass, grouped by reason code: how many rows and cases, by status,
    and the first reason as an example. Most frequent first."""
    failed = df[~df["passed"]].assign(code=df["reason_code"].fillna(NO_CODE))
    records = [
        {
            "code": code,
            "rows": len(group),
            "cases": group["case_id"].nunique(),
            **status_counts(group),
            "example": group["reason"].dropna().iloc[0] if group["reason"].notna().any() else None,
        }
        for code, group in failed.groupby("code", sort=True)
    ]
    records.sort(key=lambda record: (-record["rows"], record["code"]))
    return pd.DataFrame(records, columns=["code", "rows", "cases", *STATUSES, "example"])


def case_table(df: pd.DataFrame) -> pd.DataFrame:
    """One row per case: tries, passes, pass fraction, count per status, flaky flag and the
    latest failure reason."""
    grouped = df.groupby("case_id", sort=True)
    frame = grouped.agg(
        operation=("operation", "first"),
        expected_operations=("expected_operations", "first"),
        tags=("tags", "first"),
        prompt=("prompt", "first"),
        tries=("passed", "size"),
        passes=("passed", "sum"),
    )
    frame["passes"] = frame["passes"].astype(int)
    frame["pass_fraction"] = frame["passes"] / frame["tries"]
    statuses = pd.crosstab(df["case_id"], df["status"]).reindex(columns=STATUSES, fill_value=0)
    frame = frame.join(statuses)
    frame["reason"] = df[~df["passed"]].groupby("case_id")["reason"].last()
    frame["reason_code"] = df[~df["passed"]].groupby("case_id")["reason_code"].last()
    frame["flaky"] = (frame["passes"] > 0) & (frame["passes"] < frame["tries"])
    return frame.reset_index()


def pass_hat_k_curve(cases: pd.DataFrame) -> dict[int, float]:
    """pass^k for k = 1 .. the largest number of tries of any case."""
    successes, trials = cases["passes"].tolist(), cases["tries"].tolist()
    curve = {}
    for k in range(1, max(trials, default=0) + 1):
        value = pass_hat_k(successes, trials, k)
        if value is not None:
            curve[k] = value
    return curve


def operation_confusion(df: pd.DataFrame) -> pd.DataFrame:
    """Expected operation (rows) x called operation (columns), counting calls.

    Pairs come from the call verdicts; a row without verdicts pairs its expected and actual
    operations in order. A missing side is labelled ``(none)``.
    """
    pairs: Counter[tuple[str, str]] = Counter()
    for expected, actual, verdicts in zip(
        df["expected_operations"], df["actual_operations"], df["call_verdicts"], strict=True
    ):
        if verdicts:
            row_pairs = [(call.get("expected"), call.get("actual")) for call in verdicts]
        else:
            row_pairs = list(zip_longest(expected, actual)) or [(None, None)]
        for want, got in row_pairs:
            pairs[(want or NONE_LABEL, got or NONE_LABEL)] += 1
    labels = sorted({label for pair in pairs for label in pair}, key=_none_last)
    matrix = pd.DataFrame(0, index=labels, columns=labels, dtype=int)
    for (want, got), count in pairs.items():
        matrix.loc[want, got] = count
    matrix.index.name, matrix.columns.name = "expected", "actual"
    return matrix


def _none_last(label: str) -> tuple[bool, str]:
    return (label == NONE_LABEL, label)


def usage(df: pd.DataFrame) -> dict[str, Any]:
    """Token, latency and cost totals (cost only over rows whose model is priced)."""
    latency = df["latency_s"].dropna().astype(float)
    cost = df["cost_usd"].dropna().astype(float)
    return {
        "prompt_tokens": int(df["prompt_tokens"].fillna(0).sum()),
        "completion_tokens": int(df["completion_tokens"].fillna(0).sum()),
        "latency_mean_s": float(latency.mean()) if len(latency) else None,
        "latency_p50_s": float(latency.quantile(0.5)) if len(latency) else None,
        "latency_p95_s": float(latency.quantile(0.95)) if len(latency) else None,
        "cost_usd": float(cost.sum()) if len(cost) else None,
        "priced_rows": len(cost),
    }


def summarize(df: pd.DataFrame) -> dict[str, Any]:
    """Every aggregate of a run as JSON-ready data (written as aggregates.json)."""
    cases = case_table(df)
    confusion = operation_confusion(df)
    return {
        "run": df.attrs.get("run", {}),
        "overall": {**overall_rate(df).to_dict(), "statuses": status_counts(df)},
        "cases": {
            **wilson_rate(int((cases["passes"] == cases["tries"]).sum()), len(cases)).to_dict(),
            "pass_hat_k": {str(k): v for k, v in pass_hat_k_curve(cases).items()},
            "flaky": cases.loc[cases["flaky"], "case_id"].tolist(),
        },
        "operations": _records(operation_rates(df)),
        "tags": _records(rates_by(df, "tags", "tag")),
        "parameters": _records(parameter_rates(df)),
        "reason_codes": _records(reason_codes(df)),
        "per_case": _records(cases),
        "confusion": {
            "labels": confusion.index.tolist(),
            "matrix": confusion.to_numpy().tolist(),
        },
        "usage": usage(df),
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as dicts with plain Python values (NaN becomes None)."""
    return [
        {key: _plain(value) for key, value in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value
