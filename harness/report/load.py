"""Read an eval run directory (``run.json`` + ``results.jsonl``) into report rows.

The record itself, its enums and its reader belong to :mod:`harness.results`; this module
adds the derived columns reports need.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from harness import collector
from harness.errors import InputError
from harness.results import (
    ARGUMENT_VERDICTS,
    RESULTS_FILE,
    RUN_FILE,
    ArgumentVerdict,
    CaseResult,
    ResultsError,
    read_results,
)

COLUMNS = (
    "run_id",
    "case_id",
    "repeat",
    "model",
    "prompt",
    "tags",
    "operation",
    "expected_operations",
    "actual_operations",
    "status",
    "passed",
    "score",
    "reason",
    "reason_code",
    "operation_match",
    *(f"args_{verdict}" for verdict in ARGUMENT_VERDICTS),
    "prompt_tokens",
    "completion_tokens",
    "latency_s",
    "turns",
    "cost_usd",
    "expected",
    "actual_calls",
    "call_verdicts",
    "cassette",
    "error",
)


class ReportError(InputError):
    """A run directory, baseline or configuration the report code cannot use."""


@dataclass(frozen=True)
class Run:
    """A loaded run: one row (a dict keyed by ``COLUMNS``, ``None`` where a value is
    missing) per (case, repeat), ordered by case id then repeat, and its ``run.json``."""

    rows: list[dict[str, Any]]
    metadata: dict[str, Any]
    directory: Path

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> list[Any]:
        """The values of one column, in row order."""
        return [row[name] for row in self.rows]


def load_run_metadata(run_dir: Path | str) -> dict[str, Any]:
    """The run's ``run.json`` as a dict; empty when the file does not exist."""
    path = Path(run_dir) / RUN_FILE
    if not path.exists():
        return {}
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    if not isinstance(metadata, dict):
        raise ReportError(f"{path}: expected a JSON object")
    return metadata


def read_records(path: Path) -> list[CaseResult]:
    """The records of a results file (see :func:`harness.results.read_results`), raising
    ReportError naming the file and line of a bad record."""
    try:
        return read_results(path)
    except ResultsError as error:
        raise ReportError(str(error)) from None


def load_run(
    run_dir: Path | str,
    pricing: dict[str, dict[str, float]] | None = None,
    records: Sequence[CaseResult] | None = None,
) -> Run:
    """One row per (case, repeat) of a run, with derived columns for reporting.

    Derived columns: ``operation`` (first expected operation, or ``(no call)``),
    ``actual_operations``, ``operation_match``, ``args_<verdict>`` counts per argument
    verdict, and ``cost_usd`` when ``pricing`` (model -> {prompt, completion} in $ per million
    tokens) prices the row's model. ``records`` are the run's records when the caller holds
    what its results.jsonl holds (the run that wrote them); else the file is read.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ReportError(f"{run_dir}: no such run directory")
    metadata = load_run_metadata(run_dir)
    with collector.paused():  # the rows all live on
        if records is None:
            records = read_records(run_dir / RESULTS_FILE)
        rows = [_row(result, metadata, pricing or {}) for result in records]
    rows.sort(key=lambda row: (row["case_id"], row["repeat"]))
    return Run(rows, metadata, run_dir)


_ARGUMENT_COLUMNS = tuple((f"args_{verdict}", verdict) for verdict in ArgumentVerdict)


def _row(
    result: CaseResult, metadata: dict[str, Any], pricing: dict[str, dict[str, float]]
) -> dict[str, Any]:
    verdict_counts = Counter(
        verdict for call in result.call_verdicts for verdict in call.arguments.values()
    )
    model = result.model or metadata.get("model")
    # The calls and verdicts as plain JSON values, as results.jsonl holds them.
    actual_calls, call_verdicts = orjson.loads(
        orjson.dumps((result.actual_calls, result.call_verdicts))
    )
    return {
        "run_id": result.run_id or metadata.get("run_id"),
        "case_id": result.case_id,
        "repeat": result.repeat,
        "model": model,
        "prompt": result.prompt,
        "tags": result.tags,
        "operation": result.operation,
        "expected_operations": result.expected_operations,
        "actual_operations": [call.name for call in result.actual_calls],
        "status": result.status.value,
        "passed": result.passed,
        "score": result.score,
        "reason": result.reason,
        "reason_code": result.reason_code and result.reason_code.value,
        "operation_match": all(call.operation_match for call in result.call_verdicts),
        **{column: verdict_counts.get(verdict, 0) for column, verdict in _ARGUMENT_COLUMNS},
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "latency_s": result.latency_s,
        "turns": result.turns,
        "cost_usd": _cost(pricing.get(model or ""), result.prompt_tokens, result.completion_tokens),
        "expected": result.expected,
        "actual_calls": actual_calls,
        "call_verdicts": call_verdicts,
        "cassette": result.cassette,
        "error": result.error,
    }


def _cost(
    price: dict[str, float] | None, prompt_tokens: Any, completion_tokens: Any
) -> float | None:
    if price is None or prompt_tokens is None or completion_tokens is None:
        return None
    return (prompt_tokens * price["prompt"] + completion_tokens * price["completion"]) / 1e6
