"""Read an eval run directory (``run.json`` + ``results.jsonl``) into a pandas DataFrame."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from harness.errors import InputError

RESULTS_FILE = "results.jsonl"
RUN_FILE = "run.json"
STATUSES = ("pass", "fail", "error", "stale")
ARGUMENT_VERDICTS = (
    "correct",
    "wrong_value",
    "missing_required",
    "missing_expected_optional",
    "unexpected",
)
NO_CALL = "(no call)"
REQUIRED_FIELDS = ("case_id", "repeat", "status")
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


def read_records(path: Path) -> list[dict[str, Any]]:
    """Parse results.jsonl, raising ReportError naming the file and line of a bad record."""
    if not path.is_file():
        raise ReportError(f"{path}: no such results file")
    records = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ReportError(f"{path}:{number}: invalid JSON: {exc.msg}") from exc
            records.append(_checked(record, f"{path}:{number}"))
    return records


def _checked(record: Any, where: str) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise ReportError(f"{where}: expected a JSON object, got {type(record).__name__}")
    for field in REQUIRED_FIELDS:
        if field not in record:
            raise ReportError(f"{where}: missing field {field!r}")
    if record["status"] not in STATUSES:
        raise ReportError(
            f"{where}: status {record['status']!r} is not one of {', '.join(STATUSES)}"
        )
    if not isinstance(record["repeat"], int) or isinstance(record["repeat"], bool):
        raise ReportError(f"{where}: repeat must be an integer, got {record['repeat']!r}")
    for field in ("tags", "expected_operations", "actual_calls", "call_verdicts"):
        if not isinstance(record.get(field) or [], list):
            raise ReportError(f"{where}: {field} must be a list")
    return record


def load_run(
    run_dir: Path | str, pricing: dict[str, dict[str, float]] | None = None
) -> pd.DataFrame:
    """One row per (case, repeat) of a run, with derived columns for reporting.

    Derived columns: ``operation`` (first expected operation, or ``(no call)``),
    ``actual_operations``, ``operation_match``, ``args_<verdict>`` counts per argument
    verdict, and ``cost_usd`` when ``pricing`` (model -> {prompt, completion} in $ per million
    tokens) prices the row's model. ``df.attrs["run"]`` holds run.json.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ReportError(f"{run_dir}: no such run directory")
    metadata = load_run_metadata(run_dir)
    rows = [
        _row(record, metadata, pricing or {}) for record in read_records(run_dir / RESULTS_FILE)
    ]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame = frame.sort_values(["case_id", "repeat"], kind="stable").reset_index(drop=True)
    frame.attrs["run"] = metadata
    frame.attrs["run_dir"] = str(run_dir)
    return frame


def _row(
    record: dict[str, Any], metadata: dict[str, Any], pricing: dict[str, dict[str, float]]
) -> dict[str, Any]:
    expected_operations = list(record.get("expected_operations") or [])
    actual_calls = list(record.get("actual_calls") or [])
    call_verdicts = list(record.get("call_verdicts") or [])
    verdict_counts = Counter(
        verdict for call in call_verdicts for verdict in (call.get("arguments") or {}).values()
    )
    model = record.get("model") or metadata.get("model")
    prompt_tokens = record.get("prompt_tokens")
    completion_tokens = record.get("completion_tokens")
    return {
        "run_id": record.get("run_id") or metadata.get("run_id"),
        "case_id": str(record["case_id"]),
        "repeat": record["repeat"],
        "model": model,
        "prompt": record.get("prompt"),
        "tags": list(record.get("tags") or []),
        "operation": expected_operations[0] if expected_operations else NO_CALL,
        "expected_operations": expected_operations,
        "actual_operations": [call.get("name") for call in actual_calls],
        "status": record["status"],
        "passed": record["status"] == "pass",
        "score": record.get("score"),
        "reason": record.get("reason"),
        "operation_match": all(call.get("operation_match") for call in call_verdicts),
        **{f"args_{verdict}": verdict_counts.get(verdict, 0) for verdict in ARGUMENT_VERDICTS},
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "latency_s": record.get("latency_s"),
        "turns": record.get("turns"),
        "cost_usd": _cost(pricing.get(model or ""), prompt_tokens, completion_tokens),
        "expected": record.get("expected"),
        "actual_calls": actual_calls,
        "call_verdicts": call_verdicts,
        "cassette": record.get("cassette"),
        "error": record.get("error"),
    }


def _cost(
    price: dict[str, float] | None, prompt_tokens: Any, completion_tokens: Any
) -> float | None:
    if price is None or prompt_tokens is None or completion_tokens is None:
        return None
    return (prompt_tokens * price["prompt"] + completion_tokens * price["completion"]) / 1e6
