"""`harness submission`: the reviewer pack from a run, its selection, verdicts and exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from harness.contract.load import DEFAULT_SPEC_PATH, load_spec
from harness.contract.tools import operations_to_tools
from harness.eval.runner import RunConfig, run_eval
from harness.submission.cli import submission
from harness.submission.pack import build_pack
from harness.submission_config import SubmissionConfigError, parse_submission

SPEC = load_spec(DEFAULT_SPEC_PATH)
CALL = {
    "name": "searchPodcasts",
    "arguments": {"q": "startup"},
    "raw_arguments": "{}",
    "error": None,
}


def result(case_id: str, repeat: int, passed: bool, tags: list[str], **extra: Any) -> dict:
    expects_call = "irrelevance" not in tags
    return {
        "run_id": "run-1",
        "case_id": case_id,
        "repeat": repeat,
        "model": "test-model",
        "prompt": f"prompt of {case_id}",
        "tags": tags,
        "expected_operations": ["searchPodcasts"] if expects_call else [],
        "expected": [{"operation": "searchPodcasts", "arguments": {"q": "startup"}}]
        if expects_call
        else "none",
        "status": "pass" if passed else "fail",
        "passed": passed,
        "score": 1.0 if passed else 0.0,
        "reason": None if passed else "called getGenres instead of searchPodcasts",
        "actual_calls": [CALL] if passed == expects_call else [{**CALL, "name": "getGenres"}],
        **extra,
    }


def write_run(run_dir: Path, records: list[dict], spec_sha: str = SPEC.sha256) -> Path:
    run_dir.mkdir(parents=True)
    run = {
        "run_id": "run-1",
        "model": "test-model",
        "backend": "openai",
        "spec_sha256": spec_sha,
        "repeat": 3,
        "temperature": 0.0,
        "finished_at": "2026-12-01T00:00:00Z",
    }
    (run_dir / "run.json").write_text(json.dumps(run))
    (run_dir / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return run_dir


def three(case_id: str, tags: list[str], passes: int = 3) -> list[dict]:
    return [result(case_id, repeat, repeat < passes, tags) for repeat in range(3)]


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    records = [
        *three("a-submission", ["search", "submission"]),
        *three("b-submission", ["search", "submission", "critical"]),
        *three("c-critical", ["search", "critical"]),
        *three("irrelevant-joke", ["irrelevance"]),
        *three("irrelevant-weather", ["irrelevance", "critical"]),
    ]
    return write_run(tmp_path / "run", records)


def invoke(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(submission, [str(a) for a in args])
    return result.exit_code, result.output


def test_pack_of_passing_cases_exits_zero(run_dir: Path) -> None:
    code, output = invoke(run_dir)
    assert code == 0, output
    pack_dir = run_dir / "submission"
    assert sorted(p.name for p in pack_dir.iterdir()) == [
        "test-cases.json",
        "test-cases.md",
        "tools.json",
    ]
    cases = json.loads((pack_dir / "test-cases.json").read_text())
    assert cases["run"]["run_id"] == "run-1"
    assert cases["run"]["model"] == "test-model"
    assert cases["run"]["spec_sha256"] == SPEC.sha256
    assert cases["selection"]["positive_tag"] == "submission"
    assert [c["id"] for c in cases["positive"]] == ["a-submission", "b-submission"]
    assert [c["id"] for c in cases["negative"]] == ["irrelevant-joke", "irrelevant-weather"]
    first = cases["positive"][0]
    assert first["prompt"] == "prompt of a-submission"
    assert first["expected"] == [{"operation": "searchPodcasts", "arguments": {"q": "startup"}}]
    assert first["model_calls"] == [
        {
            "calls": [{"name": "searchPodcasts", "arguments": {"q": "startup"}}],
            "repeats": [0, 1, 2],
            "statuses": ["pass", "pass", "pass"],
        }
    ]
    assert (first["passes"], first["tries"], first["pass_hat_k"]) == (3, 3, 1.0)
    markdown = (pack_dir / "test-cases.md").read_text()
    assert "### 1. `a-submission`: passes (passed 3 of 3 repeats; pass^3 = 1)" in markdown
    assert '- Model called: `searchPodcasts(q="startup")` (repeat 0, 1, 2: pass, pass, pass)' in (
        markdown
    )
    assert "harness's own format" in markdown


def test_a_case_failing_one_repeat_exits_one(tmp_path: Path) -> None:
    records = [*three("a-submission", ["submission"], passes=2), *three("n", ["irrelevance"])]
    code, output = invoke(write_run(tmp_path / "run", records))
    assert code == 1
    assert "FAILS a-submission: 2/3 repeats passed" in output
    cases = json.loads((tmp_path / "run" / "submission" / "test-cases.json").read_text())
    [case] = cases["positive"]
    assert case["pass_hat_k"] == 0.0
    assert [entry["repeats"] for entry in case["model_calls"]] == [[0, 1], [2]]
    assert case["reasons"] == ["called getGenres instead of searchPodcasts"]
    assert cases["summary"]["failing"] == ["a-submission"]


def test_critical_cases_when_none_is_tagged_submission(tmp_path: Path) -> None:
    records = [*three("c-critical", ["critical"]), *three("d-other", ["search"])]
    pack = build_pack(write_run(tmp_path / "run", records), SPEC)
    assert pack.positive_tag == "critical"
    assert [case.case_id for case in pack.positive] == ["c-critical"]
    assert "only 0 negative case(s) in the run; 3 requested" in pack.notes


def test_counts_come_from_options_or_config(run_dir: Path) -> None:
    pack = build_pack(run_dir, SPEC, positive_cases=1, negative_cases=1)
    assert [c.case_id for c in pack.cases] == ["a-submission", "irrelevant-joke"]
    assert pack.notes == [
        "1 more positive case(s) not included",
        "1 more negative case(s) not included",
    ]
    code, _ = invoke(run_dir, "--positive", "1", "--negative", "0", "--out", run_dir / "p")
    cases = json.loads((run_dir / "p" / "test-cases.json").read_text())
    assert (len(cases["positive"]), len(cases["negative"]), code) == (1, 0, 0)


def test_submission_config_counts() -> None:
    config = parse_submission({"positive_cases": 8, "negative_cases": 4}, "pyproject.toml")
    assert (config.positive_cases, config.negative_cases) == (8, 4)
    with pytest.raises(
        SubmissionConfigError, match=re.escape("submission.positive_cases: expected")
    ):
        parse_submission({"positive_cases": -1}, "pyproject.toml")
    with pytest.raises(SubmissionConfigError, match=re.escape("submission.cases: unknown key")):
        parse_submission({"cases": 3}, "pyproject.toml")


def test_a_run_on_another_spec_is_refused(tmp_path: Path) -> None:
    records = three("a-submission", ["submission"])
    code, output = invoke(write_run(tmp_path / "run", records, spec_sha="0" * 64))
    assert code == 2
    assert "the run used spec sha256 0000" in output
    assert not (tmp_path / "run" / "submission").exists()


def test_no_case_to_show_is_a_harness_error(tmp_path: Path) -> None:
    code, output = invoke(write_run(tmp_path / "run", three("n", ["irrelevance"])))
    assert code == 2
    assert "no case tagged 'submission' or 'critical'" in output
    code, output = invoke(write_run(tmp_path / "empty", []))
    assert code == 2
    assert "no results (the run measured nothing)" in output
    code, output = invoke(tmp_path / "missing")
    assert code == 2
    assert "not a run directory" in output


def test_tools_are_the_converter_output_with_annotations(run_dir: Path) -> None:
    invoke(run_dir)
    tools = json.loads((run_dir / "submission" / "tools.json").read_text())["tools"]
    functions = [tool["function"] for tool in operations_to_tools(SPEC)]
    assert [t["name"] for t in tools] == [f["name"] for f in functions]
    assert [t["description"] for t in tools] == [f["description"] for f in functions]
    assert [t["inputSchema"] for t in tools] == [f["parameters"] for f in functions]
    search = tools[0]
    assert search["outputSchema"] == SPEC.operations["searchPodcasts"].response_schema
    assert set(search["annotations"]) >= {"readOnlyHint", "destructiveHint", "openWorldHint"}


def test_titles_and_justifications_come_from_x_tool(tmp_path: Path) -> None:
    document = json.loads(DEFAULT_SPEC_PATH.read_text())
    document["paths"]["/genres"]["get"]["x-tool"] = {
        "title": "List genres",
        "annotations": {"readOnlyHint": {"value": True, "justification": "Reads the genre list."}},
    }
    spec_path = tmp_path / "openapi.json"
    spec_path.write_text(json.dumps(document))
    spec = load_spec(spec_path)
    run = write_run(tmp_path / "run", three("a", ["submission"]), spec_sha=spec.sha256)
    code, output = invoke(run, "--spec", spec_path)
    assert code == 0, output
    tools = json.loads((run / "submission" / "tools.json").read_text())["tools"]
    [genres] = [tool for tool in tools if tool["name"] == "getGenres"]
    assert genres["title"] == "List genres"
    assert genres["annotations"]["title"] == "List genres"
    assert genres["annotations"]["readOnlyHint"] is True
    assert genres["justifications"]["readOnlyHint"] == "Reads the genre list."
    assert genres["defaulted_hints"] == ["destructiveHint", "idempotentHint", "openWorldHint"]
    assert "hints without a justification" in output


def test_secrets_never_reach_the_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATGPT_SECRET", "s3cret-value-123")
    records = [
        result("a", repeat, True, ["submission"], prompt="use Bearer s3cret-value-123 please")
        for repeat in range(3)
    ]
    invoke(write_run(tmp_path / "run", records))
    for path in (tmp_path / "run" / "submission").iterdir():
        assert "s3cret-value-123" not in path.read_text()


async def test_pack_from_a_real_replayed_run(tmp_path: Path) -> None:
    """The committed cassettes replayed offline: the pack shows what the recorded model did."""
    cases = ("search-podcasts-startup-en", "get-podcast-by-id", "irrelevant-weather")
    summary = await run_eval(RunConfig(case_ids=cases, out=tmp_path, progress=False))
    statuses = {r.case_id: r.to_dict() for r in summary.results}
    assert {r["status"] for r in statuses.values()} <= {"pass", "fail"}
    pack = build_pack(summary.run_dir, SPEC)
    assert [c.case_id for c in pack.positive] == ["get-podcast-by-id", "search-podcasts-startup-en"]
    assert [c.case_id for c in pack.negative] == ["irrelevant-weather"]
    for case in pack.cases:
        record = statuses[case.case_id]
        assert case.passed_every_repeat == record["passed"]
        [entry] = case.model_calls
        assert entry["calls"] == [
            {"name": c["name"], "arguments": c["arguments"]}
            | ({"error": c["error"]} if c["error"] else {})
            for c in record["actual_calls"]
        ]
    code, _ = invoke(summary.run_dir)
    assert code == (1 if pack.failing else 0)
