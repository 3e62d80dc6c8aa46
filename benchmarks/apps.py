"""The apps the benchmarks serve: upstream stand-in, offline mock, bare pass-throughs (one per
HTTP client candidate), the proxy, a minimal aiohttp reverse proxy (a peer) and a model stub.

Each ASGI app is built by a factory reading its settings from the environment, so that
:mod:`benchmarks.serve` runs any of them under the same server settings in a subprocess.
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
CLIENT_ENV = "BENCH_PROXY_CLIENT"
"""For the proxy: ``httpx`` (httpx's own pool), ``httpx-aiohttp`` (httpx's API over the
httpx-aiohttp transport), or unset: its own client (aiohttp)."""
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


def _passthrough(forward_to: Callable[[str, Any], Any], close: Callable[[], Any]) -> ASGIApp:
    """Starlette forwarding path and query upstream with ``forward_to``, bytes untouched."""

    async def forward(request: Request) -> Response:
        body, status, media_type = await forward_to(
            "/" + request.path_params["path"], request.query_params
        )
        return Response(body, status_code=status, media_type=media_type)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await close()

    return Starlette(routes=[Route("/{path:path}", forward)], lifespan=lifespan)


def _httpx_passthrough(client: Any) -> ASGIApp:
    async def forward_to(path: str, params: Any) -> tuple[bytes, int, str | None]:
        reply = await client.get(path, params=params)
        return reply.content, reply.status_code, reply.headers.get("content-type")

    return _passthrough(forward_to, client.aclose)


def bare_passthrough() -> ASGIApp:
    """The bare pass-through on httpx's own pool (httpcore): the proxy's client before."""
    upstream_url = os.environ[UPSTREAM_URL_ENV].rstrip("/")
    return _httpx_passthrough(httpx.AsyncClient(base_url=upstream_url, limits=PROXY_POOL_LIMITS))


def bare_httpx_aiohttp() -> ASGIApp:
    """The bare pass-through on httpx's API over the httpx-aiohttp transport."""
    from httpx_aiohttp import AiohttpTransport

    upstream_url = os.environ[UPSTREAM_URL_ENV].rstrip("/")
    transport = AiohttpTransport(limits=PROXY_POOL_LIMITS)
    return _httpx_passthrough(httpx.AsyncClient(base_url=upstream_url, transport=transport))


def bare_httpx2() -> ASGIApp:
    """The bare pass-through on httpx2 (the maintained httpx fork) and its pool."""
    import httpx2

    upstream_url = os.environ[UPSTREAM_URL_ENV].rstrip("/")
    limits = httpx2.Limits(max_connections=100, max_keepalive_connections=20)
    return _httpx_passthrough(httpx2.AsyncClient(base_url=upstream_url, limits=limits))


def bare_aiohttp() -> ASGIApp:
    """The bare pass-through on aiohttp's own client (one pooled ClientSession)."""
    import aiohttp

    upstream_url = os.environ[UPSTREAM_URL_ENV].rstrip("/")
    session: aiohttp.ClientSession | None = None

    async def forward_to(path: str, params: Any) -> tuple[bytes, int, str | None]:
        nonlocal session
        if session is None:
            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))
        async with session.get(upstream_url + path, params=list(params.multi_items())) as reply:
            return await reply.read(), reply.status, reply.headers.get("content-type")

    async def close() -> None:
        if session is not None:
            await session.close()

    return _passthrough(forward_to, close)


def offline_mock() -> ASGIApp:
    """``harness mock``'s app: the offline PodcastAPI v2 stand-in."""
    from harness.mock.app import create_mock_app

    return create_mock_app()


def aiohttp_proxy_app() -> Any:
    """A minimal aiohttp reverse proxy (aiohttp server + one pooled ClientSession): a peer.

    An ``aiohttp.web.Application``, not ASGI: :mod:`benchmarks.serve` runs it with aiohttp.
    """
    import aiohttp
    from aiohttp import web

    upstream_url = os.environ[UPSTREAM_URL_ENV].rstrip("/")

    async def session_context(app: web.Application) -> AsyncIterator[None]:
        app["session"] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))
        yield
        await app["session"].close()

    async def forward(request: web.Request) -> web.Response:
        url = upstream_url + "/" + request.match_info["path"]
        async with request.app["session"].get(url, params=request.query) as reply:
            body = await reply.read()
            return web.Response(body=body, status=reply.status, content_type=reply.content_type)

    app = web.Application()
    app.cleanup_ctx.append(session_context)
    app.router.add_get("/{path:.*}", forward)
    return app


def proxy() -> ASGIApp:
    """The reference proxy as ``harness serve`` builds it, in front of ``BENCH_UPSTREAM_URL``."""
    from harness.offline import create_proxy
    from harness.proxy.settings import ProxySettings

    settings = ProxySettings.from_env(upstream_url=os.environ[UPSTREAM_URL_ENV])
    transport: httpx.AsyncBaseTransport | None = None
    client = os.environ.get(CLIENT_ENV)
    if client == "httpx":
        transport = httpx.AsyncHTTPTransport(limits=PROXY_POOL_LIMITS)
    elif client == "httpx-aiohttp":
        from httpx_aiohttp import AiohttpTransport

        transport = AiohttpTransport(limits=PROXY_POOL_LIMITS)
    return create_proxy(settings, upstream_transport=transport)


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
    "mock": offline_mock,
    "bare": bare_passthrough,
    "bare-httpx-aiohttp": bare_httpx_aiohttp,
    "bare-httpx2": bare_httpx2,
    "bare-aiohttp": bare_aiohttp,
    "proxy": proxy,
    "model-stub": model_stub,
}
