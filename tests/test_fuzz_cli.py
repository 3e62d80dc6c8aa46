"""`harness fuzz` end to end: in-process and against a running proxy, reports, usage errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from harness.fuzz.cli import fuzz
from harness.fuzz.served import serve_on_loopback
from harness.offline import create_offline_app

QUICK = ["--max-examples", "2", "--phases", "examples,fuzzing", "--seed", "11"]
ONE_FAULT = ["--faults", "upstream-429", "--fault-max-examples", "2"]


def test_in_process_run_with_a_fault_writes_reports_and_a_summary(tmp_path):
    result = CliRunner().invoke(
        fuzz,
        [*QUICK, *ONE_FAULT, "--report", "junit,json", "--report-dir", str(tmp_path)],
    )

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("contract: ") and lines[0].endswith("(seed 11)")
    assert lines[1].startswith("fault-upstream-429: ")
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["ok"] is True
    assert [run["name"] for run in summary["runs"]] == ["contract", "fault-upstream-429"]
    assert summary["examples"] > 0 and summary["checks"] > summary["examples"]
    for run in ("contract", "fault-upstream-429"):
        assert (tmp_path / run / "junit.xml").is_file()
        assert json.loads((tmp_path / run / "schemathesis.json").read_text())["seed"] == 11


@pytest.mark.integration
def test_url_run_fuzzes_a_proxy_served_over_loopback(monkeypatch):
    secret = "url-run-secret-0123456789"
    monkeypatch.setenv("CHATGPT_SECRET", secret)
    with serve_on_loopback(create_offline_app(secret)) as url:
        result = CliRunner().invoke(fuzz, [*QUICK, "--url", url])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("contract: ")
    assert "fault-" not in result.output


def test_faults_need_the_in_process_proxy():
    result = CliRunner().invoke(fuzz, ["--url", "http://127.0.0.1:9", "--faults", "upstream-500"])

    assert result.exit_code == 2
    assert "--faults needs the in-process proxy" in result.output


def test_unknown_phase_and_fault_names_are_usage_errors():
    runner = CliRunner()
    phases = runner.invoke(fuzz, ["--phases", "fuzzing,chaos"])
    faults = runner.invoke(fuzz, ["--faults", "upstream-418"])

    assert phases.exit_code == 2 and "chaos" in phases.output
    assert faults.exit_code == 2 and "upstream-418" in faults.output


def test_max_requests_bounds_the_whole_run_coverage_phase_included():
    result = CliRunner().invoke(
        fuzz, ["--max-examples", "5", "--max-requests", "40", "--faults", "none", "--seed", "1"]
    )
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    examples = int(first.split(": ", 1)[1].split(" examples")[0])
    assert 0 < examples <= 40, first
    assert "stopped at --max-requests 40" in first


def test_max_examples_help_names_what_it_bounds():
    text = CliRunner().invoke(fuzz, ["--help"]).output
    assert "--max-requests" in text
    assert "coverage phase" in text


def test_fuzz_takes_the_spec_to_serve_and_fuzz(tmp_path):
    import shutil
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    spec = json.loads((repo / "specs" / "openapi.json").read_text())
    spec["paths"] = {"/genres": spec["paths"]["/genres"]}  # one operation only
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(spec))
    shutil.copy(repo / "specs" / "ai-plugin.json", tmp_path / "ai-plugin.json")
    result = CliRunner().invoke(
        fuzz,
        [*QUICK, "--faults", "none", "--report", "json", "--report-dir", str(tmp_path / "r"),
         "--spec", str(path), "--manifest", str(tmp_path / "ai-plugin.json")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert list(summary["runs"][0]["operations"]) == ["GET /genres"]
    with_url = CliRunner().invoke(fuzz, ["--url", "http://127.0.0.1:9", "--spec", str(path)])
    assert with_url.exit_code == 2
