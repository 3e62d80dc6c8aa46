"""HTTP load generation: wrk when installed, else a labelled Python (httpx) fallback.

Both hold ``connections`` keep-alive connections busy for ``duration_s`` seconds against
one URL and report throughput, p50/p99 latency and errors (non-2xx/3xx and socket errors).
The Python generator shares the Python interpreter's limits: its numbers are lower bounds
and are labelled ``python-httpx (fallback)`` wherever they are shown.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

WRK_SCRIPT = Path(__file__).with_name("wrk_summary.lua")
WRK_MARKER = "BENCH-JSON "
FALLBACK_NAME = "python-httpx (fallback)"
REQUEST_TIMEOUT_S = 10.0


class LoadError(RuntimeError):
    """The load generator failed or produced no usable result."""


@dataclass(frozen=True)
class LoadResult:
    """One bounded load run against one URL."""

    generator: str
    connections: int
    duration_s: float
    requests: int
    errors: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    round_p50s_ms: tuple[float, ...] = ()
    """When this is the median of interleaved rounds: each round's p50, in order."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def wrk_path() -> str | None:
    """The wrk executable, if installed."""
    return shutil.which("wrk")


def generator_name(prefer: str = "auto") -> str:
    """``wrk`` or the fallback's name, for ``prefer`` in auto, wrk, python."""
    if prefer == "python":
        return FALLBACK_NAME
    if wrk_path() is None:
        if prefer == "wrk":
            raise LoadError("wrk is not installed (apt-get install wrk), and --load wrk was asked")
        return FALLBACK_NAME
    return "wrk"


def run_load(
    url: str,
    connections: int,
    duration_s: float,
    headers: Mapping[str, str] | None = None,
    generator: str = "wrk",
) -> LoadResult:
    """Load ``url`` with ``connections`` concurrent connections for ``duration_s`` seconds."""
    if generator == "wrk":
        return _run_wrk(url, connections, duration_s, headers or {})
    return asyncio.run(_run_python(url, connections, duration_s, headers or {}))


def _run_wrk(
    url: str, connections: int, duration_s: float, headers: Mapping[str, str]
) -> LoadResult:
    command = [
        wrk_path() or "wrk",
        "--threads", "1",
        "--connections", str(connections),
        "--duration", f"{max(1, round(duration_s))}s",
        "--timeout", f"{REQUEST_TIMEOUT_S:g}s",
        "--script", str(WRK_SCRIPT),
    ]  # fmt: skip
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    command.append(url)
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=duration_s + 60, check=False
    )
    line = next(
        (line for line in completed.stdout.splitlines() if line.startswith(WRK_MARKER)), None
    )
    if completed.returncode != 0 or line is None:
        raise LoadError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()[-500:]}")
    summary = orjson.loads(line[len(WRK_MARKER) :])
    elapsed_s = summary["duration_us"] / 1e6
    return LoadResult(
        generator="wrk",
        connections=connections,
        duration_s=round(elapsed_s, 3),
        requests=summary["requests"],
        errors=summary["status_errors"] + summary["socket_errors"],
        requests_per_s=round(summary["requests"] / elapsed_s, 1),
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
    )


async def _run_python(
    url: str, connections: int, duration_s: float, headers: Mapping[str, str]
) -> LoadResult:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(
        limits=limits, headers=dict(headers), timeout=REQUEST_TIMEOUT_S
    ) as client:
        started = time.perf_counter()
        deadline = started + duration_s

        async def worker() -> None:
            nonlocal errors
            while (sent := time.perf_counter()) < deadline:
                try:
                    response = await client.get(url)
                    ok = response.status_code < 400
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - sent)
                errors += not ok

        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed_s = time.perf_counter() - started
    if len(latencies) < 2:
        raise LoadError(f"{url}: fewer than 2 requests completed in {duration_s} s")
    cuts = statistics.quantiles(latencies, n=100)
    return LoadResult(
        generator=FALLBACK_NAME,
        connections=connections,
        duration_s=round(elapsed_s, 3),
        requests=len(latencies),
        errors=errors,
        requests_per_s=round(len(latencies) / elapsed_s, 1),
        p50_ms=round(cuts[49] * 1000, 3),
        p99_ms=round(cuts[98] * 1000, 3),
    )
