"""``python -m benchmarks.mcp_call``: one operation through REST and through MCP ``tools/call``.

Both surfaces are driven in one run, interleaved call by call, against the same in-process
proxy and offline mock (no socket, so the numbers compare the surfaces, not the network):
REST with httpx through ``httpx.ASGITransport``, MCP with the SDK's client through
``httpx2.ASGITransport``. Prints per-call latency percentiles and the MCP/REST ratios.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import click
import httpx

from harness.mcp_client import IN_PROCESS_ORIGIN, connect
from harness.offline import create_offline_app

SECRET = "bench-mcp-secret-0b1c"
OPERATIONS = {
    "getGenres": ("/api/v2/genres", {"top_level_only": 1}),
    "searchPodcasts": ("/api/v2/search_podcasts", {"q": "startup", "page_size": 10}),
}


async def measure(calls: int, warmup: int) -> dict[str, dict[str, list[float]]]:
    """Latencies in ms per operation and surface, interleaved REST/MCP call by call."""
    app = create_offline_app(SECRET)
    samples: dict[str, dict[str, list[float]]] = {}
    async with connect(app=app, token=SECRET) as client:
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {SECRET}"}
        async with httpx.AsyncClient(
            transport=transport, base_url=IN_PROCESS_ORIGIN, headers=headers
        ) as rest:
            for name, (path, arguments) in OPERATIONS.items():
                per_surface: dict[str, list[float]] = {"rest": [], "mcp": []}
                for index in range(warmup + calls):
                    started = time.perf_counter()
                    response = await rest.get(path, params=arguments)
                    rest_ms = (time.perf_counter() - started) * 1000
                    started = time.perf_counter()
                    result = await client.call_tool(name, arguments)
                    mcp_ms = (time.perf_counter() - started) * 1000
                    if response.status_code != 200 or result.is_error:
                        raise RuntimeError(f"{name}: a call failed")
                    if index >= warmup:
                        per_surface["rest"].append(rest_ms)
                        per_surface["mcp"].append(mcp_ms)
                samples[name] = per_surface
    return samples


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@click.command()
@click.option("--calls", default=300, show_default=True, help="Measured calls per surface.")
@click.option("--warmup", default=30, show_default=True, help="Calls before measuring.")
def main(calls: int, warmup: int) -> None:
    """Print REST vs MCP tools/call latency for the same calls, side by side."""
    samples = asyncio.run(measure(calls, warmup))
    click.echo(f"{calls} calls per surface, interleaved, in-process proxy on the offline mock")
    click.echo("| operation | surface | median ms | p95 ms | MCP/REST median | MCP/REST p95 |")
    click.echo("|---|---|---|---|---|---|")
    for name, per_surface in samples.items():
        rest, mcp = per_surface["rest"], per_surface["mcp"]
        ratio_median = statistics.median(mcp) / statistics.median(rest)
        ratio_p95 = _percentile(mcp, 0.95) / _percentile(rest, 0.95)
        for surface, values in (("rest", rest), ("mcp", mcp)):
            ratios = f"{ratio_median:.2f} | {ratio_p95:.2f}" if surface == "mcp" else "|"
            click.echo(
                f"| {name} | {surface} | {statistics.median(values):.2f} | "
                f"{_percentile(values, 0.95):.2f} | {ratios} |"
            )


if __name__ == "__main__":
    main(prog_name="python -m benchmarks.mcp_call")
