"""Candidates for the proxy's HTTP client and server, side by side in front of the stand-in.

``python -m benchmarks --only candidates``. The bare pass-throughs isolate the client (same
Starlette app and uvicorn defaults, only the client differs); the proxy rows vary the client
(``BENCH_PROXY_CLIENT``) and the server (uvicorn's defaults, httptools on asyncio's loop or on
uvloop, granian, two uvicorn workers). Every ratio is against the stand-in alone, measured in
the same run.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from benchmarks.apps import CLIENT_ENV
from benchmarks.load import LoadResult
from benchmarks.proxy_overhead import (
    LoadProfile,
    Target,
    _as_dicts,
    _limit,
    load_targets,
    proxy_search_path,
    ratio,
    serving,
    upstream_search_path,
)


def profiles(quick: bool) -> tuple[LoadProfile, LoadProfile]:
    """Shorter than the proxy section's: there are many more targets."""
    if quick:
        return LoadProfile("saturation", 10, 1), LoadProfile("latency", 1, 1)
    return LoadProfile("saturation", 100, 10), LoadProfile("latency", 1, 5)


def candidate_targets(secret: str) -> list[Target]:
    """The stand-in, one bare pass-through per client, and the proxy per client and server."""
    auth = {"Authorization": f"Bearer {secret}"}
    bare = upstream_search_path()
    targets = [Target("upstream", _limit, bare)]
    for kind in ("bare", "bare-httpx2", "bare-httpx-aiohttp", "bare-aiohttp"):
        name = "bare-httpx" if kind == "bare" else kind
        targets.append(Target(name, serving(kind), bare))
    variants = [
        ("httpx", "uvicorn", 1),
        ("httpx-aiohttp", "uvicorn-httptools", 1),
        ("aiohttp", "uvicorn", 1),
        ("aiohttp", "uvicorn-httptools", 1),
        ("aiohttp", "harness", 1),
        ("aiohttp", "uvicorn-fast", 1),
        ("aiohttp", "granian", 1),
        ("aiohttp", "uvicorn-httptools", 2),
    ]
    for client, server, workers in variants:
        name = f"proxy {client} {server}" + (f" x{workers}" if workers > 1 else "")
        env = {CLIENT_ENV: client} if client != "aiohttp" else {}
        start = serving("proxy", server, workers, CHATGPT_SECRET=secret, **env)
        targets.append(Target(name, start, proxy_search_path(), auth))
    return targets


def measure(
    load_profiles: Sequence[LoadProfile], generator: str, warmup_s: float = 1.0
) -> dict[str, Any]:
    """Load every candidate; return the results and each one's ratios to the stand-in."""
    targets = candidate_targets(secrets.token_urlsafe(24))
    results = load_targets(targets, load_profiles, generator, warmup_s)
    return {
        "profiles": [profile.__dict__ for profile in load_profiles],
        "results": _as_dicts(results),
        "comparison": {
            profile.name: _versus_upstream(results, profile.name) for profile in load_profiles
        },
    }


def _versus_upstream(results: dict[str, dict[str, LoadResult]], profile: str) -> dict[str, Any]:
    upstream = results["upstream"][profile]
    return {
        name: {
            "throughput_vs_upstream": ratio(
                by_profile[profile].requests_per_s, upstream.requests_per_s
            ),
            "added_p50_ms": round(by_profile[profile].p50_ms - upstream.p50_ms, 3),
        }
        for name, by_profile in results.items()
        if name != "upstream"
    }
