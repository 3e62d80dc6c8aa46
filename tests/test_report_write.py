"""write_reports and `harness report`: every file written, readable and free of secrets."""

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from harness.report import write_reports
from harness.report.cli import report

FIXTURES = Path(__file__).parent / "fixtures" / "runs"
PRICING = {"SmolLM2-135M-Instruct.Q4_1": {"prompt": 0.1, "completion": 0.2}}


def copy_run(tmp_path: Path, name: str = "candidate") -> Path:
    return Path(shutil.copytree(FIXTURES / name, tmp_path / name))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    run = copy_run(tmp_path_factory.mktemp("runs"))
    return write_reports(run, baseline_dir=FIXTURES / "baseline", pricing=PRICING)


def test_every_report_file_is_written(written):
    assert sorted(written) == [
        "aggregates.json",
        "comparison.json",
        "comparison.md",
        "junit.xml",
        "report.html",
        "results.csv",
        "results.parquet",
        "summary.md",
    ]
    assert all(path.stat().st_size > 0 for path in written.values())


def test_summary_is_short_and_has_the_essentials(written):
    text = written["summary.md"].read_text()
    assert "**Pass rate 44.4% (16/36, 95% CI 29.5%–60.4%)**" in text
    assert "pass^3 33.3%" in text
    assert "| getGenres | 0.0% | 0.0%–56.1% | 3 |" in text
    assert "`search-podcasts-startup-en` (critical)" in text
    assert "cost $" in text
    assert len(text) < 6000


def test_html_is_self_contained_with_charts_and_side_by_side(written):
    html = written["report.html"].read_text()
    assert "<script" not in html and "<link" not in html and 'src="http' not in html
    assert html.count("<svg") == 2
    assert "Operation confusion matrix" in html
    assert html.count('class="case"') == 20  # 19 fail + 1 error rows
    assert "&#34;startups&#34;" in html  # actual call argument, escaped


def test_junit_has_one_testcase_per_case_and_repeat(written):
    suite = ET.parse(written["junit.xml"]).getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == 36
    assert suite.get("failures") == "19" and suite.get("errors") == "1"
    failed = next(c for c in cases if c.get("name") == "genres-top-level[0]")
    assert failed.get("classname") == "getGenres"
    assert failed.find("failure").get("message") == "called getLanguages, expected getGenres"
    errored = next(c for c in cases if c.find("error") is not None)
    assert errored.get("name") == "just-listen[1]"


def test_tables_round_trip(written):
    csv = pd.read_csv(written["results.csv"])
    parquet = pd.read_parquet(written["results.parquet"])
    for frame in (csv, parquet):
        assert len(frame) == 36
        assert json.loads(frame.loc[0, "actual_calls"])[0]["name"] == "getBestPodcasts"
        assert frame["cost_usd"].notna().all()
    aggregates = json.loads(written["aggregates.json"].read_text())
    assert aggregates["overall"]["total"] == 36
    assert aggregates["confusion"]["labels"][-1] == "(none)"


def test_stale_rows_are_junit_errors(tmp_path):
    paths = write_reports(copy_run(tmp_path, "stale"), pricing={})
    suite = ET.parse(paths["junit.xml"]).getroot().find("testsuite")
    assert [e.get("type") for e in suite.iter("error")] == ["stale"] * 6


def test_secrets_never_reach_reports(tmp_path, monkeypatch):
    secret = "sk-listen-0123456789abcdef"
    monkeypatch.setenv("LISTEN_API_KEY", secret)
    run = copy_run(tmp_path)
    results = run / "results.jsonl"
    records = [json.loads(line) for line in results.read_text().splitlines()]
    records[3]["reason"] = f"upstream said key {secret} is invalid"
    records[3]["error"] = "Authorization: Bearer abcdefghijklmnop1234"
    results.write_text("".join(json.dumps(r) + "\n" for r in records))
    paths = write_reports(run, pricing={})
    for name, path in paths.items():
        content = path.read_bytes()
        assert secret.encode() not in content, name
        assert b"abcdefghijklmnop1234" not in content, name
    assert "[REDACTED]" in paths["report.html"].read_text()


def test_cli_report_lists_files_and_gates(tmp_path):
    runner = CliRunner()
    result = runner.invoke(report, [str(copy_run(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "summary.md" in result.output
    result = runner.invoke(report, [str(copy_run(tmp_path, "stale")), "--gate"])
    assert result.exit_code == 2
    assert "2 cases stale: just-listen, languages-list" in result.output


def test_cli_report_bad_config_exits_2(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.harness.gate]\nthreshold = 1\n")
    result = CliRunner().invoke(report, [str(copy_run(tmp_path)), "--pyproject", str(pyproject)])
    assert result.exit_code == 2
    assert "unknown key 'threshold'" in result.output


@pytest.mark.parametrize("cache_state", ["no temporary directory", "corrupt cache file"])
def test_the_template_cache_never_fails_a_report(tmp_path, monkeypatch, cache_state):
    import tempfile

    from harness.report import html, template_cache

    if cache_state == "no temporary directory":
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing" / "tmp"))
        assert template_cache.bytecode_cache() is None
    else:
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        cache = template_cache.bytecode_cache()
        assert cache is not None
        html._template.cache_clear()
        html._template()  # compiles and stores the template
        (stored,) = Path(cache.directory).glob("__jinja2_*.cache")
        stored.write_bytes(stored.read_bytes()[:40])  # truncated mid-code
    html._template.cache_clear()
    try:
        written = write_reports(copy_run(tmp_path), pricing=PRICING)
    finally:
        html._template.cache_clear()  # later tests compile it with the usual cache
    assert "Operation confusion matrix" in written["report.html"].read_text()
