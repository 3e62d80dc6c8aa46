"""compare_runs: flips, per-operation deltas, McNemar on paired cases, Markdown and JSON."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.report import compare_runs
from harness.report.cli import compare

FIXTURES = Path(__file__).parent / "fixtures" / "runs"


@pytest.fixture(scope="module")
def comparison():
    return compare_runs(FIXTURES / "baseline", FIXTURES / "candidate")


def test_flips_use_majority_of_repeats(comparison):
    assert [f.case_id for f in comparison.newly_failing] == [
        "curated-list",
        "genres-top-level",
        "search-podcasts-startup-en",
    ]
    # recommendations goes 0/3 -> 1/3: still a majority fail, so no flip
    assert [f.case_id for f in comparison.newly_passing] == ["search-episodes-ai-recent"]
    assert comparison.newly_failing[2].run_passes == "1/3"
    assert [f.case_id for f in comparison.newly_failing_with_tag("critical")] == [
        "search-podcasts-startup-en"
    ]


def test_mcnemar_p_value_and_significance(comparison):
    assert comparison.p_value == pytest.approx(0.625)
    assert not comparison.significant_regression
    assert comparison.paired_delta == pytest.approx(-2 / 12)


def test_per_operation_deltas(comparison):
    operations = {row["operation"]: row for row in comparison.operations}
    assert operations["getGenres"]["delta"] == pytest.approx(-1.0)
    assert operations["searchEpisodes"]["delta"] == pytest.approx(2 / 3)
    assert operations["getGenres"]["newly_failing"] == 1


def test_unpaired_cases_are_listed(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(FIXTURES / "candidate", run)
    results = run / "results.jsonl"
    lines = [line for line in results.read_text().splitlines() if "curated-list" not in line]
    results.write_text("\n".join(lines) + "\n")
    result = compare_runs(FIXTURES / "baseline", run)
    assert result.only_in_baseline == ["curated-list"]
    assert result.paired_cases == 11


def test_markdown_mentions_flips_and_critical(comparison):
    text = comparison.to_markdown()
    assert "3 pass→fail, 1 fail→pass" in text
    assert "`search-podcasts-startup-en` (critical)" in text
    assert "| getGenres | 100.0% | 0.0% | -100.0 pp |" in text


def test_cli_json_and_markdown():
    runner = CliRunner()
    args = [str(FIXTURES / "baseline"), str(FIXTURES / "candidate")]
    result = runner.invoke(compare, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["mcnemar_p_value"] == pytest.approx(0.625)
    assert len(data["newly_failing"]) == 3
    result = runner.invoke(compare, args)
    assert result.output.startswith("### Compared with baseline `20261120T100000Z-smollm2`")


def test_cli_gate_exit_code(tmp_path):
    # the candidate has one errored case: tolerate it, this test is about the regression
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.harness.gate]\nmax_error_rate = 0.05\n")
    args = [str(FIXTURES / "baseline"), str(FIXTURES / "candidate"), "--gate"]
    result = CliRunner().invoke(compare, [*args, "--pyproject", str(pyproject)])
    assert result.exit_code == 1
    assert "critical cases newly failing: search-podcasts-startup-en" in result.output


def test_cli_bad_run_is_a_harness_error(tmp_path):
    result = CliRunner().invoke(compare, [str(FIXTURES / "baseline"), str(tmp_path)])
    assert result.exit_code == 2
    assert "no such results file" in result.output


def test_a_tie_over_repeats_counts_as_not_passed(tmp_path):
    def run(name: str, statuses: list[str]) -> Path:
        directory = tmp_path / name
        directory.mkdir()
        lines = [
            json.dumps({"case_id": "c", "repeat": i, "status": s, "tags": ["critical"]})
            for i, s in enumerate(statuses)
        ]
        (directory / "results.jsonl").write_text("\n".join(lines) + "\n")
        return directory

    tie = compare_runs(run("base", ["pass", "pass"]), run("tie", ["pass", "fail"]))
    assert [flip.case_id for flip in tie.newly_failing] == ["c"]
    majority = compare_runs(
        run("base3", ["pass"] * 3), run("two-of-three", ["pass", "fail", "pass"])
    )
    assert majority.newly_failing == [] and majority.newly_passing == []
