"""The ASGI apps the benchmarks serve: upstream stand-in, bare pass-through, proxy, model stub.

Each is built by a factory reading its settings from the environment, so that
:mod:`benchmarks.serve` runs any of them under the same uvicorn settings in a subprocess.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ASGIApp = Callable[..., Any]

UPSTREAM_URL_ENV = "BENCH_UPSTREAM_URL"
STUB_LATENCY_ENV = "BENCH_STUB_LATENCY_S"
SEARCH_QUERY = {"q": "startup", "type": "podcast", "language": "English", "page_size": "10"}
"""The upstream search whose real mock answer the static upstream replays."""

STUB_TOOL = "searchPodcasts"
PROXY_POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
"""The connection pool of the proxy's upstream client, given to the bare pass-through too."""


def recorded_search_response() -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """Body and headers of the offline mock's answer to :data:`SEARCH_QUERY`."""
    from harness.mock.app import MOCK_BASE_URL, create_mock_app

    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_mock_app())
        async with httpx.AsyncClient(transport=transport) as client:
            return await client.get(MOCK_BASE_URL + "/search", params=SEARCH_QUERY)

    response = asyncio.run(fetch())
    response.raise_for_status()
    keep = ["content-type", *(name for name in response.headers if name.startswith("x-listenapi"))]
    headers = [(name.encode(), response.headers[name].encode()) for name in keep]
    return response.content, headers


def static_upstream() -> ASGIApp:
    """A raw ASGI app answering every request with the same realistic search response."""
    body, headers = recorded_search_response()
    start = {
        "type": "http.response.start",
        "status": 200,
        "headers": [*headers, (b"content-length", str(len(body)).encode())],
    }
    finish = {"type": "http.response.body", "body": body}

    async def app(scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            await _lifespan_without_work(receive, send)
            return
        await send(start)
        await send(finish)

    return app


async def _lifespan_without_work(receive: Callable, send: Callable) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def bare_passthrough() -> ASGIApp:
    """Starlette + one pooled httpx client forwarding path and query upstream, bytes untouched.

    The baseline the proxy is compared with: the same server, framework and HTTP client,
    without auth, validation, parameter mapping, JSON decoding or projection.
    """
    upstream_url = os.environ[UPSTREAM_URL_ENV].rstrip("/")
    client = httpx.AsyncClient(base_url=upstream_url, limits=PROXY_POOL_LIMITS)

    async def forward(request: Request) -> Response:
        reply = await client.get("/" + request.path_params["path"], params=request.query_params)
        return Response(
            reply.content,
            status_code=reply.status_code,
            media_type=reply.headers.get("content-type"),
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    return Starlette(routes=[Route("/{path:path}", forward)], lifespan=lifespan)


def proxy() -> ASGIApp:
    """The reference proxy as ``harness serve`` builds it, in front of ``BENCH_UPSTREAM_URL``."""
    from harness.proxy.app import create_app
    from harness.proxy.settings import ProxySettings

    return create_app(ProxySettings.from_env(upstream_url=os.environ[UPSTREAM_URL_ENV]))


def model_stub() -> ASGIApp:
    """An OpenAI-compatible chat endpoint that sleeps, then calls ``searchPodcasts``.

    The query is the last word of the last user message, so a synthetic case
    "Find podcasts about <topic>" gets the answer its expectation asks for.
    """
    latency_s = float(os.environ.get(STUB_LATENCY_ENV, "0.5"))
    calls = 0

    async def chat_completions(request: Request) -> Response:
        nonlocal calls
        calls += 1
        document = orjson.loads(await request.body())
        prompt = next(
            message["content"]
            for message in reversed(document["messages"])
            if message.get("role") == "user"
        )
        await asyncio.sleep(latency_s)
        arguments = orjson.dumps({"q": prompt.split()[-1]}).decode()
        return Response(
            orjson.dumps(_completion(document["model"], calls, arguments)),
            media_type="application/json",
        )

    return Starlette(routes=[Route("/v1/chat/completions", chat_completions, methods=["POST"])])


def _completion(model: str, number: int, arguments: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{number}",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": f"call_{number}",
                            "type": "function",
                            "function": {"name": STUB_TOOL, "arguments": arguments},
                        }
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 250, "completion_tokens": 12, "total_tokens": 262},
    }


FACTORIES: dict[str, Callable[[], ASGIApp]] = {
    "upstream": static_upstream,
    "bare": bare_passthrough,
    "proxy": proxy,
    "model-stub": model_stub,
}
