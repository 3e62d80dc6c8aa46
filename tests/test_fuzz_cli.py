"""`harness fuzz` end to end: in-process and against a running proxy, reports, usage errors."""

from __future__ import annotations

import json

from click.testing import CliRunner

from harness.fuzz.cli import fuzz
from harness.fuzz.served import serve_on_loopback
from harness.proxy.app import create_offline_app

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
