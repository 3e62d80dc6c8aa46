"""Eval throughput: the real runner against a model stub that sleeps a fixed time per call.

A synthetic suite runs at several concurrencies with ``--record all`` into a fresh cassette
directory, so every case really calls the stub over loopback and writes its cassette. The
wall time of the runner is compared with its limit: at most ``concurrency`` equal-length cases
run at once, so they take ``ceil(cases / concurrency)`` waves of ``latency`` each; and with
``cases x latency / concurrency``, what it would take if cases could be split across waves.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.apps import STUB_LATENCY_ENV
from benchmarks.servers import running
from benchmarks.synthetic import dummy_api_key, eval_config, write_suite
from harness.eval.runner import run_eval
from harness.report import write_reports


def measure(
    workdir: Path, cases: int, concurrencies: Sequence[int], latency_s: float
) -> dict[str, Any]:
    """Run ``cases`` synthetic cases at each concurrency; wall times against the limit."""
    suite = write_suite(workdir / "eval-suite.yaml", cases)
    rows = []
    with running("model-stub", {STUB_LATENCY_ENV: str(latency_s)}) as stub, dummy_api_key():
        for concurrency in concurrencies:
            config = eval_config(
                suite,
                stub + "/v1",
                workdir / f"eval-c{concurrency}",
                record="all",
                concurrency=concurrency,
            )
            started = time.perf_counter()
            summary = asyncio.run(run_eval(config))
            runner_s = time.perf_counter() - started
            write_reports(summary.run_dir)
            total_s = time.perf_counter() - started
            passed = summary.status_counts["pass"]
            if passed != cases:
                raise RuntimeError(f"eval at concurrency {concurrency}: {summary.status_counts}")
            limit_s = math.ceil(cases / concurrency) * latency_s
            even_s = cases * latency_s / concurrency
            rows.append(
                {
                    "concurrency": concurrency,
                    "wall_s": round(runner_s, 3),
                    "limit_s": round(limit_s, 3),
                    "over_limit_pct": round((runner_s / limit_s - 1) * 100, 1),
                    "even_s": round(even_s, 3),
                    "over_even_pct": round((runner_s / even_s - 1) * 100, 1),
                    "with_reports_s": round(total_s, 3),
                    "cases_per_s": round(cases / runner_s, 1),
                }
            )
    return {"cases": cases, "latency_s": latency_s, "runs": rows}
