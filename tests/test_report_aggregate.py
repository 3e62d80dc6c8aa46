"""Aggregates over the fixture runs: rates, per-operation/tag/parameter tables, confusion."""

import json
from pathlib import Path

import pytest

from harness.report import load_run
from harness.report.aggregate import (
    case_table,
    operation_confusion,
    operation_rates,
    parameter_rates,
    rates_by,
    summarize,
)

FIXTURES = Path(__file__).parent / "fixtures" / "runs"


@pytest.fixture(scope="module")
def candidate():
    return load_run(FIXTURES / "candidate")


def test_overall_counts_error_as_not_passed_but_separately(candidate):
    overall = summarize(candidate)["overall"]
    assert (overall["passed"], overall["total"]) == (16, 36)
    assert overall["statuses"] == {"pass": 16, "fail": 19, "error": 1, "stale": 0}
    assert overall["ci_low"] < 16 / 36 < overall["ci_high"]


def by(rows, key):
    return {row[key]: row for row in rows}


def test_per_operation_and_per_tag(candidate):
    operations = by(rates_by(candidate, "operation"), "operation")
    assert [operations["justListen"][k] for k in ("passed", "total", "error")] == [2, 3, 1]
    assert list(operations) == sorted(operations)
    tags = by(rates_by(candidate, "tags", "tag"), "tag")
    # critical: search-podcasts-startup-en 1/3, best-podcasts-business 3/3, podcast-by-id 3/3
    assert [tags["critical"][k] for k in ("passed", "total")] == [7, 9]


def test_flaky_cases_and_pass_hat_k(candidate):
    cases = case_table(candidate)
    assert sorted(case["case_id"] for case in cases if case["flaky"]) == [
        "just-listen",
        "recommendations",
        "search-podcasts-startup-en",
    ]
    summary = summarize(candidate)["cases"]
    # 4 cases pass 3/3, 3 flaky (1/3, 1/3, 2/3), 5 fail 0/3; pass^3 = 4/12
    assert summary["pass_hat_k"]["1"] == pytest.approx(16 / 36)
    assert summary["pass_hat_k"]["3"] == pytest.approx(4 / 12)
    assert summary["pass_hat_k"]["2"] == pytest.approx((4 + 1 / 3) / 12)


def test_parameter_rates_count_each_verdict(candidate):
    parameters = by(parameter_rates(candidate), "parameter")
    # q: searchPodcasts 1 correct + 2 wrong, searchEpisodes 3 correct; typeahead never called
    assert [parameters["q"][k] for k in ("passed", "total", "wrong_value")] == [4, 6, 2]


def test_confusion_matrix_counts_expected_against_called(candidate):
    labels, matrix = operation_confusion(candidate)

    def count(expected: str, called: str) -> int:
        return matrix[labels.index(expected)][labels.index(called)]

    assert count("getGenres", "getLanguages") == 3
    assert count("getCuratedList", "(none)") == 3
    assert count("getPodcastRecommendations", "getPodcastRecommendations") == 1
    assert labels[-1] == "(none)"


def write_run(directory: Path, records: list[dict]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"repeat": 0, "tags": [], **record}) for record in records]
    (directory / "results.jsonl").write_text("\n".join(lines) + "\n")
    return directory


def test_multi_call_case_counts_toward_each_expected_operation(tmp_path):
    run = write_run(
        tmp_path,
        [
            {
                "case_id": "genre-then-best",
                "status": "pass",
                "expected_operations": ["getGenres", "getBestPodcasts"],
            },
            {"case_id": "best", "status": "fail", "expected_operations": ["getBestPodcasts"]},
            {"case_id": "weather", "status": "pass", "expected_operations": []},
        ],
    )
    operations = by(operation_rates(load_run(run)), "operation")
    assert [operations["getBestPodcasts"][k] for k in ("passed", "total")] == [1, 2]
    assert [operations["getGenres"][k] for k in ("passed", "total")] == [1, 1]
    assert [operations["(no call)"][k] for k in ("passed", "total")] == [1, 1]


def test_failures_are_grouped_by_reason_code(tmp_path):
    run = write_run(
        tmp_path,
        [
            {"case_id": "a", "status": "pass"},
            {
                "case_id": "b",
                "status": "fail",
                "reason": "x.q: missing required argument",
                "reason_code": "missing_required",
            },
            {
                "case_id": "b",
                "repeat": 1,
                "status": "fail",
                "reason": "x.q: missing required argument",
                "reason_code": "missing_required",
            },
            {
                "case_id": "c",
                "status": "fail",
                "reason": "x.q: expected 'a', got 'b'",
                "reason_code": "value_error:wrong_value",
            },
            {
                "case_id": "d",
                "status": "stale",
                "reason": "stale cassette: y",
                "reason_code": "stale_cassette",
            },
            {"case_id": "e", "status": "fail", "reason": "written before codes"},
        ],
    )
    codes = summarize(load_run(run))["reason_codes"]
    assert [(c["code"], c["rows"], c["cases"]) for c in codes] == [
        ("missing_required", 2, 1),
        ("(no code)", 1, 1),
        ("stale_cassette", 1, 1),
        ("value_error:wrong_value", 1, 1),
    ]
    assert codes[2]["stale"] == 1 and codes[2]["fail"] == 0
    assert codes[0]["example"] == "x.q: missing required argument"


def test_the_summary_and_the_html_report_show_the_codes(tmp_path):
    from harness.report import write_reports

    run = write_run(
        tmp_path / "run",
        [
            {
                "case_id": "c",
                "status": "fail",
                "reason": "x.q: expected 'a', got 'b'",
                "reason_code": "value_error:wrong_value",
            }
        ],
    )
    (run / "run.json").write_text(json.dumps({"run_id": "run", "model": "m"}))
    write_reports(run, pricing={})
    summary = (run / "summary.md").read_text()
    assert "**Failures by reason code**" in summary
    assert "| `value_error:wrong_value` | 1 | 1 | x.q: expected 'a', got 'b' |" in summary
    html = (run / "report.html").read_text()
    assert "Failures by reason code" in html and "<code>value_error:wrong_value</code>" in html
    aggregates = json.loads((run / "aggregates.json").read_text())
    assert aggregates["reason_codes"][0]["code"] == "value_error:wrong_value"
    assert "reason code: value_error:wrong_value" in (run / "junit.xml").read_text()
