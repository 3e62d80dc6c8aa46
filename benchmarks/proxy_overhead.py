"""The proxy against its limit and its peers, loaded one after the other in the same run.

Targets, each loaded with the same generator and profiles:

- ``upstream``: the upstream stand-in alone (a raw ASGI app replaying one search answer): the
  limit of anything in front of it;
- ``nginx``: nginx as a reverse proxy in front of the stand-in (1 worker, upstream keepalive
  100), when nginx is installed;
- ``aiohttp``: a minimal aiohttp reverse proxy (aiohttp server, one pooled ClientSession);
- ``proxy``: the reference proxy as ``harness serve`` runs it (auth on), in front of the stand-in;
- ``mock``: ``harness mock`` alone (the offline PodcastAPI v2 stand-in), the second limit;
- ``proxy-mock``: the proxy in front of ``harness mock``.

The ratios compare the proxy with the upstream it fronts and with the peers. A profile with
several rounds (the latency profile) loads every target once per round, in turn, all of them
running: a target's result is the median of its rounds, so a few seconds in which this shared
machine slows down move one round of each target it hits, not the whole comparison.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

import httpx

from benchmarks import proxy_work
from benchmarks.apps import SEARCH_QUERY, UPSTREAM_URL_ENV
from benchmarks.load import LoadResult, run_load
from benchmarks.servers import nginx_path, running, running_nginx

PROXY_QUERY = {"q": "startup", "language": "English", "page_size": "10"}
PROXY_SERVER = os.environ.get("BENCH_PROXY_SERVER", "harness")
"""The proxy runs exactly as ``harness serve`` runs it; the environment variable lets a run
measure an older proxy the way it was served (``uvicorn``, ``uvicorn-httptools``)."""
MOCK_SERVER = "uvicorn"
"""How ``harness mock`` runs the mock (uvicorn's defaults)."""


@dataclass(frozen=True)
class LoadProfile:
    """A named load: concurrent connections for a bounded time."""

    name: str
    connections: int
    duration_s: float
    rounds: int = 1
    """Windows per target, interleaved across the targets; the median window is reported."""


@dataclass(frozen=True)
class Target:
    """One server to load: how to start it (given the upstream origin) and what to ask it."""

    name: str
    start: Callable[[str], contextlib.AbstractContextManager[str]]
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    fronts: str = "upstream"
    """The target whose origin this one forwards to (``upstream`` or ``mock``)."""


def saturation_and_latency(quick: bool) -> tuple[LoadProfile, LoadProfile]:
    """The throughput profile (many connections) and the latency profile (one connection)."""
    if quick:
        return LoadProfile("saturation", 10, 1), LoadProfile("latency", 1, 1, rounds=2)
    return LoadProfile("saturation", 100, 20), LoadProfile("latency", 1, 5, rounds=3)


def upstream_search_path() -> str:
    """The stand-in's search URL path, as every pass-through forwards it."""
    return f"/api/v2/search?{urlencode(SEARCH_QUERY)}"


def proxy_search_path() -> str:
    """The proxy's search URL path (the operation behind the stand-in's search)."""
    return f"/api/v2/search_podcasts?{urlencode(PROXY_QUERY)}"


def serving(kind: str, server: str = "uvicorn", workers: int = 1, **env: str) -> Callable:
    """A target starter: the app ``kind`` under ``server``, pointed at the origin it fronts."""

    @contextlib.contextmanager
    def start(origin: str) -> Iterator[str]:
        settings = {UPSTREAM_URL_ENV: origin + "/api/v2", **env}
        with running(kind, settings, server, workers) as served:
            yield served

    return start


@contextlib.contextmanager
def _limit(origin: str) -> Iterator[str]:
    yield origin


def peer_targets(secret: str) -> list[Target]:
    """The limit, the peers and the proxy, in the order they are loaded."""
    auth = {"Authorization": f"Bearer {secret}"}
    proxy = serving("proxy", PROXY_SERVER, CHATGPT_SECRET=secret)
    targets = [Target("upstream", _limit, upstream_search_path())]
    if nginx_path() is not None:
        targets.append(Target("nginx", running_nginx, upstream_search_path()))
    aiohttp_path = "/search?" + urlencode(SEARCH_QUERY)
    targets += [
        Target("aiohttp", serving("aiohttp-proxy", "aiohttp"), aiohttp_path),
        Target("proxy", proxy, proxy_search_path(), auth),
        Target("mock", _limit, upstream_search_path(), fronts="mock"),
        Target("proxy-mock", proxy, proxy_search_path(), auth, fronts="mock"),
    ]
    return targets


def measure(
    profiles: Sequence[LoadProfile], generator: str, warmup_s: float = 2.0
) -> dict[str, Any]:
    """Load the limit, the peers and the proxy with every profile; return results and ratios."""
    results = load_targets(peer_targets(secrets.token_urlsafe(24)), profiles, generator, warmup_s)
    return {
        "profiles": [profile.__dict__ for profile in profiles],
        "results": _as_dicts(results),
        "comparison": {profile.name: _compare(results, profile.name) for profile in profiles},
        "own_work_us": proxy_work.measure(),
    }


def load_targets(
    targets: Sequence[Target],
    profiles: Sequence[LoadProfile],
    generator: str,
    warmup_s: float,
) -> dict[str, dict[str, LoadResult]]:
    """Start the stand-in and the mock, then load each target with every profile.

    Profiles of one round load each target in turn. Without profiles of several rounds each
    target is stopped after its load, so one runs at a time; with them every target stays up
    from its start to the end, and after the one-round profiles each round loads every target
    in turn, the median round counting.
    """
    single = [profile for profile in profiles if profile.rounds == 1]
    rounded = [profile for profile in profiles if profile.rounds > 1]
    results: dict[str, dict[str, LoadResult]] = {target.name: {} for target in targets}
    with contextlib.ExitStack() as stack:
        upstream = stack.enter_context(running("upstream"))
        mock = stack.enter_context(running("mock", server=MOCK_SERVER))
        origins = {"upstream": upstream, "mock": mock}
        urls: dict[str, str] = {}
        for target in targets:
            with contextlib.ExitStack() as target_stack:
                # Kept up to the end of the run when rounds follow, else stopped after its load.
                owner = stack if rounded else target_stack
                origin = owner.enter_context(target.start(origins[target.fronts]))
                urls[target.name] = url = origin + target.path
                _check_answers(url, target.headers)
                results[target.name] = _load_target(
                    url, target.headers, single, generator, warmup_s
                )
        for profile in rounded:
            windows = _interleaved(targets, urls, profile, generator, min(warmup_s, 1.0))
            for name, runs in windows.items():
                results[name][profile.name] = median_window(runs)
    return {
        name: {p.name: by_profile[p.name] for p in profiles} for name, by_profile in results.items()
    }


def _interleaved(
    targets: Sequence[Target],
    urls: Mapping[str, str],
    profile: LoadProfile,
    generator: str,
    warmup_s: float,
) -> dict[str, list[LoadResult]]:
    """``profile.rounds`` windows of ``profile`` per target, the targets in turn each round."""
    windows: dict[str, list[LoadResult]] = {target.name: [] for target in targets}
    for _ in range(profile.rounds):
        for target in targets:
            url, headers = urls[target.name], target.headers
            run_load(url, profile.connections, warmup_s, headers, generator)
            windows[target.name].append(
                run_load(url, profile.connections, profile.duration_s, headers, generator)
            )
    return windows


def median_window(windows: Sequence[LoadResult]) -> LoadResult:
    """The window whose p50 is the median of ``windows`` (the lower middle of an even count),
    carrying every window's p50 in the order they ran."""
    ordered = sorted(windows, key=lambda window: window.p50_ms)
    median = ordered[(len(ordered) - 1) // 2]
    return replace(median, round_p50s_ms=tuple(window.p50_ms for window in windows))


def _as_dicts(results: dict[str, dict[str, LoadResult]]) -> dict[str, dict[str, Any]]:
    return {
        target: {name: result.as_dict() for name, result in by_profile.items()}
        for target, by_profile in results.items()
    }


def _load_target(
    url: str,
    headers: Mapping[str, str],
    profiles: Sequence[LoadProfile],
    generator: str,
    warmup_s: float,
) -> dict[str, LoadResult]:
    if not profiles:
        return {}
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


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator`` rounded, 0 when the denominator is 0."""
    return round(numerator / denominator, 3) if denominator else 0.0


def _compare(results: dict[str, dict[str, LoadResult]], profile: str) -> dict[str, float]:
    """The proxy's ratios for one profile: vs each upstream it fronts, and vs each peer."""
    proxy, upstream = results["proxy"][profile], results["upstream"][profile]
    proxy_mock, mock = results["proxy-mock"][profile], results["mock"][profile]
    comparison = {
        "proxy_vs_upstream_throughput": ratio(proxy.requests_per_s, upstream.requests_per_s),
        "proxy_vs_mock_throughput": ratio(proxy_mock.requests_per_s, mock.requests_per_s),
        "added_p50_ms": round(proxy.p50_ms - upstream.p50_ms, 3),
        "added_p99_ms": round(proxy.p99_ms - upstream.p99_ms, 3),
        "added_p50_ms_vs_mock": round(proxy_mock.p50_ms - mock.p50_ms, 3),
    }
    for peer in ("nginx", "aiohttp"):
        if peer in results:
            other = results[peer][profile]
            comparison[f"proxy_vs_{peer}_throughput"] = ratio(
                proxy.requests_per_s, other.requests_per_s
            )
            comparison[f"proxy_vs_{peer}_p50"] = ratio(proxy.p50_ms, other.p50_ms)
            comparison[f"proxy_vs_{peer}_p99"] = ratio(proxy.p99_ms, other.p99_ms)
    return comparison
