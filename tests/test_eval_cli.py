"""`harness eval`: exit codes, one-line errors, reports written."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import httpx
import pytest
import respx
from click.testing import CliRunner
from fakes import MODEL_URL, constant_model

from harness.cli import main
from harness.report import load as report_load

REPO = Path(__file__).resolve().parents[1]

SUITE = """\
cases:
  - id: genres
    prompt: list the podcast genres
    tags: [critical]
    expect:
      - operation: getGenres
  - id: weather
    prompt: what is the weather today
    expect: none
"""


answer = constant_model([("getGenres", "{}")])
"""A model that always calls getGenres."""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch) -> Path:
    """A project directory with specs, a suite and no pyproject.toml (default gate), as the cwd."""
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "suite.yaml").write_text(SUITE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test-key")
    return tmp_path


def run_cli(*args: str):
    base = ["eval", "--backend", "openai", "--model", "fake", "--base-url", MODEL_URL, "--quiet"]
    return CliRunner().invoke(main, [*base, *args])


def only_run_dir(workdir: Path) -> Path:
    (run_dir,) = (workdir / "reports").iterdir()
    return run_dir


def test_record_then_replay_writes_reports_and_exits_zero(workdir: Path) -> None:
    with respx.mock(base_url=MODEL_URL) as mock:
        mock.post("/chat/completions").mock(side_effect=answer)
        recorded = run_cli("--record", "once")
    assert recorded.exit_code == 0, recorded.output
    assert "2 runs: 1 pass, 1 fail, 0 error, 0 stale" in recorded.output
    assert "gate passed: pass rate 50.0%" in recorded.output
    run_dir = only_run_dir(workdir)
    assert {"run.json", "results.jsonl", "summary.md"} <= {p.name for p in run_dir.iterdir()}
    with respx.mock(base_url=MODEL_URL, assert_all_called=False) as mock:
        route = mock.post("/chat/completions").mock(side_effect=answer)
        replayed = run_cli()
    assert replayed.exit_code == 0, replayed.output
    assert route.call_count == 0


def test_gate_failure_exits_one(workdir: Path) -> None:
    (workdir / "pyproject.toml").write_text("[tool.harness.gate]\nmin_pass_rate = 0.9\n")
    with respx.mock(base_url=MODEL_URL) as mock:
        mock.post("/chat/completions").mock(side_effect=answer)
        result = run_cli("--record", "once")
    assert result.exit_code == 1, result.output
    assert "gate failed: pass rate 50.0% < min 90.0%" in result.output


def test_the_gate_judges_the_results_the_reports_were_written_from(
    workdir: Path, monkeypatch
) -> None:
    with respx.mock(base_url=MODEL_URL) as mock:
        mock.post("/chat/completions").mock(side_effect=answer)
        assert run_cli("--record", "once").exit_code == 0
    baseline = only_run_dir(workdir)
    read: list[str] = []
    real_read_records = report_load.read_records

    def counted(path: Path):
        read.append(Path(path).parent.name)
        return real_read_records(path)

    monkeypatch.setattr(report_load, "read_records", counted)
    with respx.mock(base_url=MODEL_URL) as mock:
        mock.post("/chat/completions").mock(side_effect=constant_model("no tools today"))
        result = run_cli("--record", "all", "--baseline", str(baseline))
    assert result.exit_code == 1, result.output
    assert "gate failed" in result.output and "genres" in result.output
    # The baseline's results file read once; the run's records are the run's own.
    assert read == [baseline.name]


def test_stale_cassettes_in_replay_exit_two_with_a_hint(workdir: Path) -> None:
    result = run_cli()
    assert result.exit_code == 2, result.output
    assert "2 stale" in result.output
    assert "first stale: " in result.output and ": stale cassette: no cassette recorded" in (
        result.output
    )
    assert "re-record with --record new" in result.output


def test_malformed_suite_names_file_and_line_without_traceback(workdir: Path) -> None:
    (workdir / "prompts" / "suite.yaml").write_text("cases:\n  - id: a\n    prompt: [\n")
    result = run_cli()
    assert result.exit_code == 2
    assert result.output.startswith("error: ")
    assert "suite.yaml:" in result.output
    assert "Traceback" not in result.output
    assert not (workdir / "reports").exists()


def test_unknown_case_is_a_harness_error(workdir: Path) -> None:
    result = run_cli("--case", "nope")
    assert result.exit_code == 2
    assert result.output.strip() == "error: no case with id nope in prompts"


def test_recording_with_openai_needs_a_key(workdir: Path, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    result = run_cli("--record", "once")
    assert result.exit_code == 2
    assert "OPENAI_API_KEY is not set" in result.output


def test_options_reach_run_json(workdir: Path) -> None:
    with respx.mock(base_url=MODEL_URL) as mock:
        route = mock.post("/chat/completions").mock(side_effect=answer)
        result = run_cli(
            "--record", "once", "--tool-choice", "required", "--seed", "9", "--strict",
            "--temperature", "0.7", "--repeat", "2", "--tag", "critical",
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    sent = json.loads(route.calls.last.request.content)
    assert (sent["tool_choice"], sent["seed"], sent["temperature"]) == ("required", 9, 0.7)
    assert {tool["function"]["strict"] for tool in sent["tools"]} == {True}
    run = json.loads((only_run_dir(workdir) / "run.json").read_text())
    assert (run["tool_choice"], run["seed"], run["strict"], run["repeat"]) == (
        "required",
        9,
        True,
        2,
    )
    assert route.call_count == 2


def test_resume_continues_a_run_without_redoing_finished_cases(workdir: Path) -> None:
    with respx.mock(base_url=MODEL_URL) as mock:
        route = mock.post("/chat/completions").mock(side_effect=answer)
        first = run_cli("--record", "once", "--case", "genres")
        run_dir = only_run_dir(workdir)
        resumed = run_cli("--record", "once", "--resume", str(run_dir))
    assert first.exit_code == 0, first.output
    assert resumed.exit_code == 0, resumed.output
    assert "1 run (1 already done): 0 pass, 1 fail" in resumed.output
    assert route.call_count == 2
    lines = (run_dir / "results.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["case_id"] for line in lines) == ["genres", "weather"]
    # The reports hold the cases done before the resume as well as the one run after it.
    with (run_dir / "results.csv").open(newline="") as table:
        assert [row["case_id"] for row in csv.DictReader(table)] == ["genres", "weather"]


def unauthorized(request: httpx.Request) -> httpx.Response:
    return httpx.Response(401, json={"error": {"message": "Incorrect API key provided"}})


def test_a_run_where_every_case_errors_fails_and_prints_the_first_error(workdir: Path) -> None:
    with respx.mock(base_url=MODEL_URL) as mock:
        mock.post("/chat/completions").mock(side_effect=unauthorized)
        result = run_cli("--record", "once", "--case", "genres")
    assert result.exit_code == 2, result.output
    assert "gate passed" not in result.output
    assert "first error: genres: model endpoint answered HTTP 401" in result.output
    assert "harness error: 1 of 1 runs errored (max 0.0%); first: genres: " in result.output


def test_resume_retries_errored_cases(workdir: Path) -> None:
    with respx.mock(base_url=MODEL_URL) as mock:
        mock.post("/chat/completions").mock(side_effect=unauthorized)
        first = run_cli("--record", "once")
    assert first.exit_code == 2, first.output
    run_dir = only_run_dir(workdir)
    with respx.mock(base_url=MODEL_URL) as mock:
        route = mock.post("/chat/completions").mock(side_effect=answer)
        resumed = run_cli("--record", "once", "--resume", str(run_dir))
    assert resumed.exit_code == 0, resumed.output
    assert route.call_count == 2
    assert "2 runs: 1 pass, 1 fail, 0 error, 0 stale" in resumed.output
    records = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]
    assert sorted((r["case_id"], r["status"]) for r in records) == [
        ("genres", "pass"),
        ("weather", "fail"),
    ]


def test_a_loopback_base_url_needs_no_openai_key(workdir: Path, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    local = "http://127.0.0.1:11434/v1"
    with respx.mock(base_url=local) as mock:
        route = mock.post("/chat/completions").mock(side_effect=answer)
        result = CliRunner().invoke(
            main,
            ["eval", "--backend", "openai", "--model", "qwen2.5", "--base-url", local,
             "--quiet", "--record", "once"],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert route.call_count == 2
    assert "authorization" not in route.calls.last.request.headers


def test_ctrl_c_prints_the_run_directory_to_resume_with(workdir: Path) -> None:
    calls = []

    def interrupt(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return answer(request)

    with respx.mock(base_url=MODEL_URL) as mock:
        mock.post("/chat/completions").mock(side_effect=interrupt)
        result = run_cli("--record", "once", "--concurrency", "1")
    assert result.exit_code == 130, result.output
    run_dir = only_run_dir(workdir)
    assert f"continue with: harness eval --resume {Path('reports', run_dir.name)}" in result.output
    assert len((run_dir / "results.jsonl").read_text().splitlines()) == 1


def test_an_unknown_operation_in_the_suite_exits_two_naming_file_and_line(workdir: Path) -> None:
    suite = "cases:\n  - id: best\n    prompt: best podcasts\n    expect:\n"
    suite += "      - operation: getBestPodcastz\n"
    (workdir / "prompts" / "suite.yaml").write_text(suite)
    result = run_cli()
    assert result.exit_code == 2, result.output
    assert result.output.strip() == (
        "error: prompts/suite.yaml:5: unknown operation 'getBestPodcastz'; "
        "did you mean getBestPodcasts?"
    )
