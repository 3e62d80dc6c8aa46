"""The result record: one line of results.jsonl, read and written by harness.results only."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from harness.report.load import ReportError, load_run
from harness.results import (
    CallVerdict,
    CaseResult,
    ReasonCode,
    ResultsError,
    Status,
    ToolCall,
    read_results,
    schema_markdown,
    write_result,
    write_results,
)

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "reports" / "baseline" / "results.jsonl"


def result(case_id: str = "genres", status: Status = Status.PASS, **fields) -> CaseResult:
    return CaseResult(
        run_id="run-1",
        case_id=case_id,
        repeat=0,
        model="m",
        prompt="p",
        tags=["t"],
        expected_operations=["getGenres"],
        expected=[{"operation": "getGenres"}],
        cassette="c.yaml",
        status=status,
        **fields,
    )


def test_the_committed_baseline_reads_and_rewrites_byte_for_byte(tmp_path: Path) -> None:
    """A run written before reason codes existed re-writes unchanged but for the codes' keys
    (``null``), each in its place."""
    records = read_results(BASELINE)
    assert len(records) == len(BASELINE.read_bytes().splitlines())
    copy = tmp_path / "results.jsonl"
    write_results(copy, records)
    rewritten = copy.read_bytes()
    assert rewritten.count(b',"reason_code":null,"call_verdicts"') == len(records)
    without_codes = rewritten.replace(b',"reason_code":null', b"")
    assert without_codes.replace(b',"error_code":null}', b"}") == BASELINE.read_bytes()


def test_a_record_with_codes_rewrites_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    call = ToolCall("getGenres", None, "{", "arguments are not valid JSON", ReasonCode.INVALID_JSON)
    first = result(
        status=Status.FAIL,
        reason="getGenres: arguments are not valid JSON",
        reason_code=ReasonCode.INVALID_JSON,
        actual_calls=[call],
    )
    write_results(path, [first])
    assert read_results(path) == [first]
    write_results(tmp_path / "again.jsonl", read_results(path))
    assert (tmp_path / "again.jsonl").read_bytes() == path.read_bytes()
    assert b'"reason_code":"invalid_json"' in path.read_bytes()


def test_a_record_reads_into_types() -> None:
    first = read_results(BASELINE)[0]
    assert isinstance(first.status, Status)
    assert all(isinstance(verdict, CallVerdict) for verdict in first.call_verdicts)
    assert all(isinstance(call, ToolCall) for call in first.actual_calls)


def test_passed_is_derived_from_status_never_read_back() -> None:
    assert result(status=Status.PASS).passed is True
    assert result(status=Status.FAIL).passed is False
    line = result(status=Status.FAIL).to_dict() | {"passed": True}
    assert CaseResult.from_dict(line).passed is False


def test_a_torn_last_line_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    complete = result("a").to_json() + b"\n"
    path.write_bytes(complete + result("b").to_json()[:40])  # a crash mid-write: no newline
    assert [r.case_id for r in read_results(path)] == ["a"]


def test_a_complete_last_line_without_its_newline_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_bytes(result("a").to_json() + b"\n" + result("b").to_json())
    assert [r.case_id for r in read_results(path)] == ["a", "b"]


@pytest.mark.parametrize("where", ["middle", "last with its newline"])
def test_any_other_bad_line_is_an_error_naming_file_and_line(tmp_path: Path, where: str) -> None:
    path = tmp_path / "results.jsonl"
    good = result("a").to_json() + b"\n"
    body = good + b"{not json\n" + good if where == "middle" else good + b"{not json\n"
    path.write_bytes(body)
    with pytest.raises(ResultsError, match=re.escape(f"{path}:2: invalid JSON")):
        read_results(path)


def test_the_runner_and_the_reports_follow_the_same_torn_line_rule(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "results.jsonl").write_bytes(result("a").to_json() + b"\n" + b'{"case_id": "b", "rep')
    assert load_run(run).column("case_id") == ["a"]
    (run / "results.jsonl").write_bytes(result("a").to_json() + b"\n" + b"{torn\n")
    with pytest.raises(ReportError, match=r"results\.jsonl:2: invalid JSON"):
        load_run(run)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": "passed"}, "status 'passed' is not one of pass, fail, error, stale"),
        ({"repeat": "0"}, "repeat must be an integer"),
        ({"repeat": True}, "repeat must be an integer"),
        ({"tags": "search"}, "tags must be a list"),
        ({"call_verdicts": [{"arguments": {"q": "right"}}]}, "'right' is not a valid"),
    ],
)
def test_a_bad_record_is_an_error_naming_where(change: dict, message: str) -> None:
    with pytest.raises(ResultsError, match=re.escape(f"f.jsonl:3: {message}")):
        CaseResult.from_dict(result().to_dict() | change, "f.jsonl:3")


def test_a_missing_field_is_named() -> None:
    record = result().to_dict()
    del record["status"]
    with pytest.raises(ResultsError, match="missing field 'status'"):
        CaseResult.from_dict(record, "here")


def test_a_missing_file_is_an_error_unless_allowed(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="no such results file"):
        read_results(tmp_path / "results.jsonl")
    assert read_results(tmp_path / "results.jsonl", missing_ok=True) == []


def test_write_result_appends_one_flushed_line() -> None:
    file = io.BytesIO()
    write_result(file, result("a"))
    write_result(file, result("b", Status.STALE, error="stale cassette: x"))
    lines = file.getvalue().splitlines()
    assert [json.loads(line)["case_id"] for line in lines] == ["a", "b"]
    assert list(json.loads(lines[1]))[:10] == [
        "run_id",
        "case_id",
        "repeat",
        "model",
        "prompt",
        "tags",
        "expected_operations",
        "expected",
        "cassette",
        "status",
    ]


def test_the_docs_schema_is_the_records() -> None:
    docs = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = re.search(r"<!-- results-schema:[^\n]*-->\n(.*?)<!-- /results-schema -->", docs, re.S)
    assert section is not None, "docs/architecture.md lost its results-schema markers"
    assert section.group(1) == schema_markdown(), (
        "docs/architecture.md's results.jsonl schema is out of date: paste "
        "harness.results.schema_markdown() between its markers"
    )


def test_the_prompt_suite_docs_list_every_reason_code() -> None:
    docs = (REPO / "docs" / "prompt-suite.md").read_text(encoding="utf-8")
    section = re.search(r"<!-- reason-codes:[^\n]*-->\n(.*?)<!-- /reason-codes -->", docs, re.S)
    assert section is not None, "docs/prompt-suite.md lost its reason-codes markers"
    listed = re.findall(r"^\| `([^`]+)` \|", section.group(1), re.M)
    assert listed == [code.value for code in ReasonCode]
