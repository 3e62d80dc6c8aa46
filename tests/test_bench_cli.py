"""`python -m benchmarks --quick` runs each section end to end on tiny sizes and cleans up.

No timing is asserted: only that every section runs, reports consistent numbers, writes
latest.md/latest.json, and leaves no server process behind (also when interrupted).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.load import LoadResult
from benchmarks.proxy_overhead import median_window
from benchmarks.scoring import median_run

pytestmark = pytest.mark.integration  # starts servers or subprocesses

REPO_ROOT = Path(__file__).resolve().parents[1]
# Every benchmark this module starts carries this marker in its environment, and its servers
# inherit it: the leak checks look at this run's processes only, not the whole machine's.
RUN_MARKER = f"HARNESS_BENCH_TEST_RUN={os.getpid()}-{time.monotonic_ns()}"


def bench_env() -> dict[str, str]:
    name, value = RUN_MARKER.split("=", 1)
    return {**os.environ, name: value}


def run_bench(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out), *args],
        cwd=REPO_ROOT,
        env=bench_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def serve_processes() -> list[int]:
    """Pids of benchmark servers started by this test module that are still running."""
    marker = RUN_MARKER.encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            environment = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"benchmarks.serve" in command and marker in environment:
            pids.append(int(entry.name))
    return pids


def load_report(out: Path) -> dict:
    assert (out / "latest.md").read_text().startswith("# Benchmarks")
    return json.loads((out / "latest.json").read_text())


@pytest.mark.parametrize(
    "load",
    [
        "python",
        pytest.param("wrk", marks=pytest.mark.skipif(shutil.which("wrk") is None, reason="no wrk")),
    ],
)
def test_proxy_section_loads_every_target_without_errors(tmp_path: Path, load: str) -> None:
    completed = run_bench(tmp_path, "--only", "proxy", "--load", load)

    assert completed.returncode == 0, completed.stderr
    proxy = load_report(tmp_path)["sections"]["proxy"]
    assert proxy["generator"] == ("wrk" if load == "wrk" else "python-httpx (fallback)")
    peers = {"nginx"} if shutil.which("nginx") or Path("/usr/sbin/nginx").exists() else set()
    assert set(proxy["results"]) == {"upstream", "aiohttp", "proxy", "mock", "proxy-mock"} | peers
    for by_profile in proxy["results"].values():
        for result in by_profile.values():
            assert result["requests"] > 0
            assert result["errors"] == 0
            assert 0 < result["p50_ms"] <= result["p99_ms"]
        # The latency profile's rounds: every target loaded in each, the median one reported.
        assert by_profile["saturation"]["round_p50s_ms"] == []
        rounds = by_profile["latency"]["round_p50s_ms"]
        assert len(rounds) == 2
        assert by_profile["latency"]["p50_ms"] == min(rounds)
    for comparison in proxy["comparison"].values():
        assert comparison["proxy_vs_upstream_throughput"] > 0
        assert comparison["proxy_vs_mock_throughput"] > 0
        assert comparison["proxy_vs_aiohttp_throughput"] > 0
        assert ("proxy_vs_nginx_p99" in comparison) == bool(peers)
    work = proxy["own_work_us"]
    assert set(work) == {"validate", "decode", "project", "encode", "total"}
    assert all(value > 0 for value in work.values())
    assert work["total"] == pytest.approx(sum(v for k, v in work.items() if k != "total"), abs=0.2)
    assert "The proxy's own work per call" in completed.stdout
    assert "| saturation | proxy |" in completed.stdout
    assert "The latency profile ran 2 rounds of 1 s" in completed.stdout
    assert "| saturation | nginx |" in completed.stdout or not peers
    assert serve_processes() == []


def test_eval_and_replay_sections_pass_every_case(tmp_path: Path) -> None:
    completed = run_bench(tmp_path, "--only", "eval", "--only", "replay")

    assert completed.returncode == 0, completed.stderr
    sections = load_report(tmp_path)["sections"]
    assert set(sections) == {"eval", "replay"}
    eval_runs = sections["eval"]["runs"]
    assert [run["concurrency"] for run in eval_runs] == [1, 8]
    for run in eval_runs:
        assert run["limit_s"] == pytest.approx(math.ceil(16 / run["concurrency"]) * 0.05)
        assert run["even_s"] == pytest.approx(16 * 0.05 / run["concurrency"])
        assert run["wall_s"] >= run["limit_s"] >= run["even_s"]
    replay_runs = sections["replay"]["runs"]
    assert [run["cases"] for run in replay_runs] == [10, 40]
    for run in replay_runs:
        assert run["cases_per_s"] == pytest.approx(run["cases"] / run["wall_s"], rel=0.01, abs=0.1)
        assert run["peak_rss_mib"] > 10
    assert sections["replay"]["fit"]["r_squared"] == pytest.approx(1.0)
    startup = sections["replay"]["startup"]
    assert 0 < startup["import_s"] < startup["one_case_wall_s"]
    assert 0 < startup["import_s"] < startup["one_case_without_optional_s"]
    assert serve_processes() == []


def test_scoring_section_rates_the_harness_and_bfcl_when_installed(tmp_path: Path) -> None:
    completed = run_bench(tmp_path, "--only", "scoring")

    assert completed.returncode == 0, completed.stderr
    scoring = load_report(tmp_path)["sections"]["scoring"]
    assert scoring["pairs"] == 500
    assert scoring["harness_pairs_per_s"] > 0 and scoring["harness_no_spec_pairs_per_s"] > 0
    (process,) = scoring["processes"]  # --quick: one fresh process
    assert process["harness_pairs_per_s"] == scoring["harness_pairs_per_s"]
    bfcl = scoring["bfcl"]
    if importlib.util.find_spec("bfcl_eval") is None:
        assert bfcl is None
        assert "BFCL's checker not installed" in completed.stdout
    else:
        assert 0 < bfcl["pairs"] < scoring["pairs"]
        assert bfcl["pairs_per_s"] > 0 and 0 < bfcl["agreement_pct"] <= 100
        assert "BFCL ast_checker" in completed.stdout


def test_the_scoring_report_is_the_median_process() -> None:
    def run(ours: int, bfcl: int | None) -> dict:
        compared = None if bfcl is None else {"harness_pairs_per_s": ours, "pairs_per_s": bfcl}
        return {"harness_pairs_per_s": ours, "bfcl": compared}

    runs = [run(90, 100), run(120, 100), run(50, 100)]  # ratios 0.9, 1.2, 0.5
    assert median_run(runs) is runs[0]
    assert median_run(runs[:2]) is runs[1]  # the upper of two
    assert median_run([run(3, None), run(1, None), run(2, None)])["harness_pairs_per_s"] == 2


def test_a_rounded_profile_reports_its_median_window_and_every_round() -> None:
    def window(p50: float) -> LoadResult:
        return LoadResult("wrk", 1, 5.0, 100, 0, 20.0, p50, p50 * 2)

    slowed = [window(0.30), window(1.30), window(0.28)]  # one round on a slowed machine
    median = median_window(slowed)
    assert (median.p50_ms, median.p99_ms) == (0.30, 0.60)
    assert median.round_p50s_ms == (0.30, 1.30, 0.28)  # in the order they ran
    assert median_window(slowed[:2]).p50_ms == 0.30  # the lower of two
    assert median_window([window(0.5)]).round_p50s_ms == (0.5,)


def test_fuzz_section_counts_examples(tmp_path: Path) -> None:
    completed = run_bench(tmp_path, "--only", "fuzz", "--seed", "7")

    assert completed.returncode == 0, completed.stderr
    fuzz = load_report(tmp_path)["sections"]["fuzz"]
    assert fuzz["seed"] == 7
    assert fuzz["examples"] > 0
    assert fuzz["failures"] == 0
    assert fuzz["examples_per_s"] == pytest.approx(
        fuzz["examples"] / fuzz["wall_s"], rel=0.01, abs=0.1
    )


def test_interrupt_stops_every_server(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "proxy", "--load", "python",
         "--out", str(tmp_path)],
        cwd=REPO_ROOT,
        env=bench_env(),
        # A shell that starts CI in the background ignores SIGINT, and the child would inherit
        # that: restore the default so Python turns the signal into KeyboardInterrupt.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not serve_processes() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert serve_processes(), "no benchmark server started"
        os.kill(process.pid, signal.SIGINT)
        assert process.wait(30) != 0
    finally:
        if process.poll() is None:
            process.kill()
    assert serve_processes() == []
    assert not (tmp_path / "latest.json").exists()
