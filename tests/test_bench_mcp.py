"""`python -m benchmarks.mcp_call` measures both surfaces on the same calls (no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # starts servers or subprocesses

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_the_benchmark_prints_both_surfaces_side_by_side() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.mcp_call", "--calls", "3", "--warmup", "1"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    rows = [line for line in completed.stdout.splitlines() if line.startswith("| get")]
    rows += [line for line in completed.stdout.splitlines() if line.startswith("| search")]
    assert [row.split("|")[2].strip() for row in rows] == ["rest", "mcp", "rest", "mcp"]
    ratio = float(rows[1].split("|")[5])
    assert ratio > 0
