"""The local-model benchmark's table, computed from a run directory `harness eval` wrote."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def write_run(run_dir: Path) -> None:
    run_dir.mkdir()
    run = {
        "model": "Qwen2.5-Coder-1.5B-Instruct-Q4_K_M",
        "started_at": "2026-12-01T15:00:00Z",
        "finished_at": "2026-12-01T15:02:00Z",
        "model_server_peak_rss_mb": 4321,
    }
    (run_dir / "run.json").write_text(json.dumps(run))
    statuses = ["pass", "pass", "fail", "error"]
    tokens = [(3500, 20), (3600, 30), (3400, 10), (None, None)]
    lines = [
        json.dumps(
            {
                "case_id": f"c{i}",
                "repeat": 0,
                "status": s,
                "prompt_tokens": p,
                "completion_tokens": c,
            }
        )
        for i, (s, (p, c)) in enumerate(zip(statuses, tokens, strict=True))
    ]
    (run_dir / "results.jsonl").write_text("\n".join(lines) + "\n")


def test_the_table_comes_from_the_run_files(tmp_path: Path) -> None:
    write_run(tmp_path / "run")
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.local_model", str(tmp_path / "run")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    table, _, document = completed.stdout.partition("\n[")
    (row,) = json.loads("[" + document)
    assert row["statuses"] == {"pass": 2, "fail": 1, "error": 1}
    assert row["pass_rate_text"] == "50.0% (2/4, 95% CI 15.0%–85.0%)"
    assert (row["wall_s"], row["s_per_case"]) == (120.0, 30.0)
    assert (row["prompt_tokens_per_case"], row["completion_tokens_per_case"]) == (3500, 20)
    assert "| Qwen2.5-Coder-1.5B-Instruct-Q4_K_M | 50.0% (2/4, 95% CI 15.0%–85.0%) | 1 |" in table
    assert "| 4,321 MB |" in table
