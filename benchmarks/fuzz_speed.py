"""Fuzz speed: examples per second of the in-process contract run of `harness fuzz`."""

from __future__ import annotations

import time
from typing import Any

from harness.fuzz.config import FuzzOptions
from harness.fuzz.fuzz_suite import new_secret, run_contract_offline


def measure(max_examples: int, seed: int) -> dict[str, Any]:
    """One contract run (all phases, every check) at a fixed example count and seed."""
    options = FuzzOptions(max_examples=max_examples, seed=seed)
    started = time.perf_counter()
    result = run_contract_offline(options, new_secret())
    elapsed_s = time.perf_counter() - started
    return {
        "max_examples": max_examples,
        "seed": seed,
        "phases": list(options.phases),
        "examples": result.total_examples,
        "checks": result.total_checks,
        "failures": len(result.failures),
        "wall_s": round(elapsed_s, 3),
        "examples_per_s": round(result.total_examples / elapsed_s, 1),
    }
