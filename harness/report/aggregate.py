"""Aggregates of a run's rows: pass rates with Wilson intervals, pass^k, flakiness."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from itertools import zip_longest
from typing import Any

from harness.report.load import Run
from harness.report.numbers import mean, quantile, total
from harness.report.stats import Rate, pass_hat_k, wilson_rate
from harness.results import ARGUMENT_VERDICTS, NO_CALL, STATUSES

NONE_LABEL = "(none)"
NO_CODE = "(no code)"
"""The code of a row that did not pass in a run written before reason codes existed."""

Row = dict[str, Any]


def overall_rate(rows: Iterable[Row]) -> Rate:
    """Pass rate over every (case, repeat) row; stale and error rows count as not passed."""
    rows = list(rows)
    return wilson_rate(sum(1 for row in rows if row["passed"]), len(rows))


def status_counts(rows: Iterable[Row]) -> dict[str, int]:
    """Rows per status, every status present (zero when absent)."""
    counts = Counter(row["status"] for row in rows)
    return {status: counts.get(status, 0) for status in STATUSES}


def _groups(pairs: Iterable[tuple[Any, Row]]) -> list[tuple[Any, list[Row]]]:
    """(key, row) pairs grouped by key, keys sorted, ``None`` keys left out."""
    groups: dict[Any, list[Row]] = {}
    for key, row in pairs:
        if key is not None:
            groups.setdefault(key, []).append(row)
    return sorted(groups.items(), key=lambda item: item[0])


def rates_by(run: Run, column: str, name: str | None = None) -> list[Row]:
    """Pass rate per value of ``column`` (each item of a list column such as ``tags``).

    Keys: the value (named ``name``, default ``column``), passed, total, rate, ci_low,
    ci_high and one count per status.
    """
    return _rates(((row[column], row) for row in run.rows), name or column)


def _rates(pairs: Iterable[tuple[Any, Row]], name: str) -> list[Row]:
    exploded = (
        (key, row)
        for value, row in pairs
        for key in (value if isinstance(value, list) else [value])
    )
    return [
        {name: key, **overall_rate(group).to_dict(), **status_counts(group)}
        for key, group in _groups(exploded)
    ]


def operation_rates(run: Run) -> list[Row]:
    """Pass rate per expected operation (see ``rates_by``).

    A multi-call case counts toward each operation it expects; a case that expects no call
    counts toward ``(no call)``.
    """
    pairs = ((list(row["expected_operations"]) or [NO_CALL], row) for row in run.rows)
    return _rates(pairs, "operation")


def parameter_rates(run: Run) -> list[Row]:
    """Per argument name: how often its verdict was ``correct``, with counts of every verdict."""
    counts: dict[str, Counter[str]] = {}
    for verdicts in run.column("call_verdicts"):
        for call in verdicts:
            for name, verdict in (call.get("arguments") or {}).items():
                counts.setdefault(name, Counter())[verdict] += 1
    return [
        {
            "parameter": name,
            **wilson_rate(tally["correct"], sum(tally.values())).to_dict(),
            **{verdict: tally.get(verdict, 0) for verdict in ARGUMENT_VERDICTS},
        }
        for name, tally in sorted(counts.items())
    ]


def reason_codes(run: Run) -> list[Row]:
    """Rows that did not pass, grouped by reason code: how many rows and cases, by status,
    and the first reason as an example. Most frequent first."""
    failed = (
        (NO_CODE if row["reason_code"] is None else row["reason_code"], row)
        for row in run.rows
        if not row["passed"]
    )
    records = [
        {
            "code": code,
            "rows": len(group),
            "cases": len({row["case_id"] for row in group}),
            **status_counts(group),
            "example": next((row["reason"] for row in group if row["reason"] is not None), None),
        }
        for code, group in _groups(failed)
    ]
    records.sort(key=lambda record: (-record["rows"], record["code"]))
    return records


def case_table(run: Run) -> list[Row]:
    """One row per case, by case id: tries, passes, pass fraction, count per status, flaky
    flag and the latest failure reason (and its code)."""
    cases = []
    for case_id, group in _groups((row["case_id"], row) for row in run.rows):
        first, failed = group[0], [row for row in group if not row["passed"]]
        passes = sum(1 for row in group if row["passed"])
        cases.append(
            {
                "case_id": case_id,
                "operation": first["operation"],
                "expected_operations": first["expected_operations"],
                "tags": first["tags"],
                "prompt": first["prompt"],
                "tries": len(group),
                "passes": passes,
                "pass_fraction": passes / len(group),
                **status_counts(group),
                "reason": _last(failed, "reason"),
                "reason_code": _last(failed, "reason_code"),
                "flaky": 0 < passes < len(group),
            }
        )
    return cases


def _last(rows: list[Row], key: str) -> Any:
    """The last value of ``key`` that is not ``None``, if any."""
    return next((row[key] for row in reversed(rows) if row[key] is not None), None)


def pass_hat_k_curve(cases: list[Row]) -> dict[int, float]:
    """pass^k for k = 1 .. the largest number of tries of any case."""
    successes = [case["passes"] for case in cases]
    trials = [case["tries"] for case in cases]
    curve = {}
    for k in range(1, max(trials, default=0) + 1):
        value = pass_hat_k(successes, trials, k)
        if value is not None:
            curve[k] = value
    return curve


def operation_confusion(run: Run) -> tuple[list[str], list[list[int]]]:
    """Expected operation (rows) x called operation (columns), counting calls: the labels
    and the matrix.

    Pairs come from the call verdicts; a row without verdicts pairs its expected and actual
    operations in order. A missing side is labelled ``(none)``.
    """
    pairs: Counter[tuple[str, str]] = Counter()
    for row in run.rows:
        verdicts = row["call_verdicts"]
        if verdicts:
            row_pairs = [(call.get("expected"), call.get("actual")) for call in verdicts]
        else:
            row_pairs = list(zip_longest(row["expected_operations"], row["actual_operations"]))
            row_pairs = row_pairs or [(None, None)]
        for want, got in row_pairs:
            pairs[(want or NONE_LABEL, got or NONE_LABEL)] += 1
    labels = sorted({label for pair in pairs for label in pair}, key=_none_last)
    matrix = [[pairs.get((want, got), 0) for got in labels] for want in labels]
    return labels, matrix


def _none_last(label: str) -> tuple[bool, str]:
    return (label == NONE_LABEL, label)


def usage(run: Run) -> dict[str, Any]:
    """Token, latency and cost totals (cost only over rows whose model is priced)."""
    latency = _present(run, "latency_s", float)
    cost = _present(run, "cost_usd", float)
    return {
        "prompt_tokens": sum(_present(run, "prompt_tokens", int)),
        "completion_tokens": sum(_present(run, "completion_tokens", int)),
        "latency_mean_s": mean(latency) if latency else None,
        "latency_p50_s": quantile(latency, 0.5) if latency else None,
        "latency_p95_s": quantile(latency, 0.95) if latency else None,
        "cost_usd": total(cost) if cost else None,
        "priced_rows": len(cost),
    }


def _present(run: Run, column: str, convert: Callable[[Any], Any]) -> list[Any]:
    return [convert(value) for value in run.column(column) if value is not None]


def summarize(run: Run) -> dict[str, Any]:
    """Every aggregate of a run as JSON-ready data (written as aggregates.json)."""
    cases = case_table(run)
    labels, matrix = operation_confusion(run)
    return {
        "run": run.metadata,
        "overall": {**overall_rate(run.rows).to_dict(), "statuses": status_counts(run.rows)},
        "cases": {
            **wilson_rate(
                sum(1 for case in cases if case["passes"] == case["tries"]), len(cases)
            ).to_dict(),
            "pass_hat_k": {str(k): v for k, v in pass_hat_k_curve(cases).items()},
            "flaky": [case["case_id"] for case in cases if case["flaky"]],
        },
        "operations": operation_rates(run),
        "tags": rates_by(run, "tags", "tag"),
        "parameters": parameter_rates(run),
        "reason_codes": reason_codes(run),
        "per_case": cases,
        "confusion": {"labels": labels, "matrix": matrix},
        "usage": usage(run),
    }
