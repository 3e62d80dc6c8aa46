"""The README's main job: `harness eval` with its defaults replays the committed cassettes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import main
from harness.report.write import write_reports

REPO = Path(__file__).resolve().parents[1]


def read_results(run_dir: Path) -> dict[str, dict]:
    lines = (run_dir / "results.jsonl").read_text().splitlines()
    return {record["case_id"]: record for record in map(json.loads, lines)}


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path]:
    out = tmp_path_factory.mktemp("reports")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO)
        result = CliRunner().invoke(main, ["eval", "--quiet", "--out", str(out)])
    (run_dir,) = out.iterdir()
    return result.exit_code, result.output, run_dir


def test_default_eval_replays_every_case_offline(default_run) -> None:
    exit_code, output, run_dir = default_run
    assert exit_code == 0, output
    results = read_results(run_dir)
    assert len(results) >= 80
    assert all(record["status"] != "stale" for record in results.values()), output
    for name in ("summary.md", "report.html", "junit.xml", "results.csv", "aggregates.json"):
        assert (run_dir / name).is_file(), name


def test_replay_reproduces_the_committed_baseline(default_run) -> None:
    _, _, run_dir = default_run
    replayed = read_results(run_dir)
    baseline = read_results(REPO / "reports" / "baseline")
    assert replayed.keys() == baseline.keys()
    changed = {
        case_id: (baseline[case_id]["status"], record["status"])
        for case_id, record in replayed.items()
        if (record["status"], record["score"])
        != (baseline[case_id]["status"], baseline[case_id]["score"])
    }
    assert not changed, f"replay differs from reports/baseline (re-run and commit it): {changed}"


def test_the_reports_of_a_run_are_those_its_files_give(default_run, tmp_path) -> None:
    """`harness eval` writes the reports from the records it holds; `harness report` reads
    results.jsonl: both give the same bytes."""
    _, _, run_dir = default_run
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    written = write_reports(copy)
    assert {"summary.md", "report.html", "junit.xml", "results.csv"} <= written.keys()
    for name in written:
        assert (copy / name).read_bytes() == (run_dir / name).read_bytes(), name
