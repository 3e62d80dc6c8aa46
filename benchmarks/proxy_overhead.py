"""Proxy overhead: the proxy vs a bare pass-through, both in front of the same static upstream.

Three targets are loaded one after the other with the same load generator and profiles:
the upstream stand-in alone (the ceiling), the bare pass-through (same uvicorn settings,
Starlette and pooled httpx client, but no auth, validation, mapping, JSON decoding or
projection) and the proxy (``create_app`` as ``harness serve`` builds it, auth on).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from benchmarks.apps import SEARCH_QUERY, UPSTREAM_URL_ENV
from benchmarks.load import LoadResult, run_load
from benchmarks.servers import running

PROXY_QUERY = {"q": "startup", "language": "English", "page_size": "10"}
TARGETS = ("upstream", "bare", "proxy")


@dataclass(frozen=True)
class LoadProfile:
    """A named load: concurrent connections for a bounded time."""

    name: str
    connections: int
    duration_s: float


def saturation_and_latency(quick: bool) -> tuple[LoadProfile, LoadProfile]:
    """The throughput profile (many connections) and the latency profile (one connection)."""
    if quick:
        return LoadProfile("saturation", 10, 1), LoadProfile("latency", 1, 1)
    return LoadProfile("saturation", 100, 20), LoadProfile("latency", 1, 10)


def measure(
    profiles: Sequence[LoadProfile], generator: str, warmup_s: float = 2.0
) -> dict[str, Any]:
    """Load every target with every profile; return the results and the proxy's ratios."""
    secret = secrets.token_urlsafe(24)
    results: dict[str, dict[str, LoadResult]] = {}
    with running("upstream") as upstream_origin:
        env = {UPSTREAM_URL_ENV: upstream_origin + "/api/v2", "CHATGPT_SECRET": secret}
        upstream_url = f"{upstream_origin}/api/v2/search?{urlencode(SEARCH_QUERY)}"
        results["upstream"] = _load_target(upstream_url, {}, profiles, generator, warmup_s)
        for kind in ("bare", "proxy"):
            with running(kind, env) as origin:
                url = f"{origin}/api/v2/search_podcasts?{urlencode(PROXY_QUERY)}"
                headers = {"Authorization": f"Bearer {secret}"} if kind == "proxy" else {}
                results[kind] = _load_target(url, headers, profiles, generator, warmup_s)
    return {
        "profiles": [profile.__dict__ for profile in profiles],
        "results": {
            target: {name: result.as_dict() for name, result in by_profile.items()}
            for target, by_profile in results.items()
        },
        "comparison": {profile.name: _compare(results, profile.name) for profile in profiles},
    }


def _load_target(
    url: str,
    headers: Mapping[str, str],
    profiles: Sequence[LoadProfile],
    generator: str,
    warmup_s: float,
) -> dict[str, LoadResult]:
    _check_answers(url, headers)
    run_load(url, max(p.connections for p in profiles), warmup_s, headers, generator)
    return {
        profile.name: run_load(url, profile.connections, profile.duration_s, headers, generator)
        for profile in profiles
    }


def _check_answers(url: str, headers: Mapping[str, str]) -> None:
    """Refuse to benchmark an error path: the target must answer 200 with search results."""
    response = httpx.get(url, headers=dict(headers), timeout=10)
    if response.status_code != 200 or not response.json().get("results"):
        raise RuntimeError(f"{url}: answered {response.status_code}, not search results")


def _compare(results: dict[str, dict[str, LoadResult]], profile: str) -> dict[str, float]:
    bare, proxy = results["bare"][profile], results["proxy"][profile]
    return {
        "throughput_ratio": round(proxy.requests_per_s / bare.requests_per_s, 3),
        "added_p50_ms": round(proxy.p50_ms - bare.p50_ms, 3),
        "added_p99_ms": round(proxy.p99_ms - bare.p99_ms, 3),
    }
