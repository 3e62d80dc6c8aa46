"""Replay: `harness eval --record none` over synthetic suites of growing size.

Each size gets its own suite and cassettes (fanned out from one recorded template) and one
`harness eval` subprocess, timed from start to exit: loading, replay, scoring and report
writing, as a user runs it. Peak RSS comes from that process's own rusage (``os.wait4``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.apps import STUB_LATENCY_ENV
from benchmarks.servers import REPO_ROOT, running, stop
from benchmarks.synthetic import MODEL, fan_out_cassettes, record_template, write_suite

RUN_TIMEOUT_S = 1800.0
OPTIONAL_REPORT_PACKAGES = ("pyarrow",)
"""Installed by the ``parquet`` extra, not by the Quick start's ``pip install -e .``."""
UNREACHABLE_BASE_URL = "http://127.0.0.1:9/v1"
"""Replay never calls out; a closed port proves it."""


def measure(workdir: Path, sizes: Sequence[int]) -> dict[str, Any]:
    """Replay suites of each size; wall time, cases/s, peak RSS and a linear fit."""
    with running("model-stub", {STUB_LATENCY_ENV: "0"}) as stub:
        template = record_template(stub, workdir / "template")
    rows = []
    for size in sizes:
        directory = workdir / f"replay-{size}"
        suite = write_suite(directory / "suite.yaml", size)
        fan_out_cassettes(template, suite, directory / "cassettes")
        wall_s, max_rss_kib, output = _timed_eval(suite, directory)
        expected = f"{size} runs: {size} pass"
        if expected not in output:
            raise RuntimeError(f"replay of {size} cases did not pass every case:\n{output}")
        rows.append(
            {
                "cases": size,
                "wall_s": round(wall_s, 3),
                "cases_per_s": round(size / wall_s, 1),
                "ms_per_case": round(wall_s / size * 1000, 3),
                "peak_rss_mib": round(max_rss_kib / 1024, 1),
            }
        )
    return {
        "runs": rows,
        "fit": _linear_fit(rows),
        "startup": _startup(template, workdir / "replay-1"),
    }


def _startup(template: str, directory: Path) -> dict[str, float]:
    """The fixed cost of a run: a 1-case replay start to exit, as this environment runs it
    and as the Quick start's install does (without :data:`OPTIONAL_REPORT_PACKAGES`: no
    Parquet file), and the imports alone. Each is the best of three runs (one run on this
    machine varies by a tenth of a second), the two replays alternating."""
    suite = write_suite(directory / "suite.yaml", 1)
    fan_out_cassettes(template, suite, directory / "cassettes")
    full, lean = [], []
    for _ in range(3):
        full.append(_timed_eval(suite, directory)[0])
        lean.append(_timed_eval(suite, directory, hide=OPTIONAL_REPORT_PACKAGES)[0])
    if any((directory / "reports-lean").glob("*/results.parquet")):
        raise RuntimeError("a replay without pyarrow wrote results.parquet: it was not hidden")
    return {
        "one_case_wall_s": round(min(full), 3),
        "one_case_without_optional_s": round(min(lean), 3),
        "import_s": _import_time(),
    }


def _import_time(tries: int = 3) -> float:
    """Seconds a fresh interpreter takes to import what `harness eval` imports, the way the
    `harness` command does (best of ``tries``)."""
    code = (
        "import time; started = time.perf_counter(); from harness.cli import main; "
        "main.get_command(None, 'eval'); print(time.perf_counter() - started)"
    )
    runs = [
        float(subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                             text=True, check=True).stdout)
        for _ in range(tries)
    ]  # fmt: skip
    return round(min(runs), 3)


def _timed_eval(suite: Path, directory: Path, hide: Sequence[str] = ()) -> tuple[float, int, str]:
    """Wall time, peak RSS (KiB) and output of one replay; the packages named in ``hide``
    import as if not installed (``sys.modules[name] = None``), and the reports then go to
    ``reports-lean`` instead of ``reports``."""
    launcher = f"import sys; sys.modules.update(dict.fromkeys({list(hide)!r})); " if hide else ""
    reports = directory / ("reports-lean" if hide else "reports")
    command = [
        sys.executable, "-c", launcher + "from harness.cli import main; main()", "eval",
        "--suite", str(suite), "--backend", "openai", "--model", MODEL,
        "--base-url", UNREACHABLE_BASE_URL, "--record", "none",
        "--cassettes", str(directory / "cassettes"), "--out", str(reports),
        "--quiet",
    ]  # fmt: skip
    env = {key: value for key, value in os.environ.items() if key != "OPENAI_API_KEY"}
    log = directory / "eval-output.txt"
    with log.open("wb") as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            status, usage = _wait(process, started + RUN_TIMEOUT_S)
        finally:
            stop(process)
        wall_s = time.perf_counter() - started
    text = log.read_text(encoding="utf-8", errors="replace")
    if status != 0:
        raise RuntimeError(f"harness eval exited with status {status}:\n{text[-2000:]}")
    return wall_s, usage.ru_maxrss, text


def _wait(process: subprocess.Popen, deadline: float) -> tuple[int, Any]:
    """Reap ``process`` with its own rusage, or raise once ``deadline`` has passed."""
    while time.perf_counter() < deadline:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return process.returncode, usage
        time.sleep(0.02)
    raise TimeoutError(f"harness eval did not finish in {RUN_TIMEOUT_S} s")


def _linear_fit(rows: list[dict[str, Any]]) -> dict[str, float] | None:
    """wall = fixed + per_case x cases, least squares, with R²; None for fewer than 2 sizes."""
    if len(rows) < 2:
        return None
    cases = np.array([row["cases"] for row in rows], dtype=float)
    wall = np.array([row["wall_s"] for row in rows], dtype=float)
    per_case, fixed = np.polyfit(cases, wall, 1)
    predicted = per_case * cases + fixed
    total = float(((wall - wall.mean()) ** 2).sum())
    r_squared = 1 - float(((wall - predicted) ** 2).sum()) / total if total else 1.0
    return {
        "per_case_ms": round(float(per_case) * 1000, 3),
        "fixed_s": round(float(fixed), 3),
        "r_squared": round(r_squared, 5),
    }
