"""load_run: one row per (case, repeat), derived columns, clear errors on bad input."""

import json
from collections import Counter
from pathlib import Path

import pytest

from harness.report import ReportError, load_run

FIXTURES = Path(__file__).parent / "fixtures" / "runs"


def write_results(directory: Path, lines: list[str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "results.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def test_fixture_run_has_one_row_per_case_and_repeat():
    run = load_run(FIXTURES / "candidate")
    assert len(run) == 36
    assert set(Counter(run.column("case_id")).values()) == {3}
    assert [(row["case_id"], row["repeat"]) for row in run.rows] == sorted(
        (row["case_id"], row["repeat"]) for row in run.rows
    )
    assert run.metadata["run_id"] == "20261122T223000Z-smollm2"
    row = next(r for r in run.rows if r["case_id"] == "genres-top-level" and r["repeat"] == 0)
    assert row["operation"] == "getGenres"
    assert row["actual_operations"] == ["getLanguages"]
    assert not row["operation_match"] and not row["passed"]
    assert row["args_missing_required"] == 1


def test_cost_comes_from_pricing_per_million_tokens():
    pricing = {"SmolLM2-135M-Instruct.Q4_1": {"prompt": 1.0, "completion": 2.0}}
    row = load_run(FIXTURES / "candidate", pricing).rows[0]
    expected = (row["prompt_tokens"] * 1.0 + row["completion_tokens"] * 2.0) / 1e6
    assert row["cost_usd"] == pytest.approx(expected)
    assert set(load_run(FIXTURES / "candidate").column("cost_usd")) == {None}


def test_invalid_json_names_file_and_line(tmp_path):
    good = json.dumps({"case_id": "a", "repeat": 0, "status": "pass"})
    write_results(tmp_path, [good, "", '{"case_id": "b", "repeat": 0,'])
    with pytest.raises(ReportError, match=r"results\.jsonl:3: invalid JSON"):
        load_run(tmp_path)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"repeat": 0, "status": "pass"}, "missing field 'case_id'"),
        ({"case_id": "a", "repeat": 0, "status": "ok"}, "status 'ok' is not one of"),
        ({"case_id": "a", "repeat": "0", "status": "pass"}, "repeat must be an integer"),
        ({"case_id": "a", "repeat": 0, "status": "pass", "tags": "x"}, "tags must be a list"),
    ],
)
def test_bad_record_names_line_and_problem(tmp_path, record, message):
    write_results(
        tmp_path, [json.dumps({"case_id": "z", "repeat": 0, "status": "pass"}), json.dumps(record)]
    )
    with pytest.raises(ReportError, match=r"results\.jsonl:2: " + message):
        load_run(tmp_path)


def test_missing_directory_and_results_are_reported(tmp_path):
    with pytest.raises(ReportError, match="no such run directory"):
        load_run(tmp_path / "nope")
    with pytest.raises(ReportError, match="no such results file"):
        load_run(tmp_path)


def test_minimal_records_load_with_defaults(tmp_path):
    write_results(tmp_path, [json.dumps({"case_id": "hello", "repeat": 0, "status": "error"})])
    row = load_run(tmp_path).rows[0]
    assert row["operation"] == "(no call)" and row["status"] == "error" and not row["passed"]
    assert row["actual_calls"] == [] and row["tags"] == []
