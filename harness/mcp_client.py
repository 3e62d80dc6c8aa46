"""Connect the official MCP SDK's client to an MCP server: the proxy in-process, or a URL.

In-process, the client speaks Streamable HTTP to the proxy's ASGI app through httpx2's ASGI
transport (the SDK's HTTP stack), with the app's lifespan running, so a call walks the same
HTTP layer (origin check, auth, transport) as over a socket.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

IN_PROCESS_ORIGIN = "http://127.0.0.1"
"""The origin in-process requests carry (a loopback host passes the DNS-rebinding check)."""
DEFAULT_TIMEOUT_S = 60.0


@contextlib.asynccontextmanager
async def connect(
    url: str | None = None,
    *,
    app: Any = None,
    token: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    mode: str = "auto",
) -> AsyncIterator[Client]:
    """An initialized SDK client for the MCP endpoint at ``url``, or of the proxy ``app``.

    ``token`` is sent as ``Authorization: Bearer``. Give exactly one of ``url`` and ``app``.
    ``mode`` is the SDK's: ``auto`` (the 2026 per-request protocol, falling back to the
    ``initialize`` handshake) or ``legacy`` (the handshake).
    """
    if (url is None) == (app is None):
        raise ValueError("give exactly one of url and app")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with contextlib.AsyncExitStack() as stack:
        if app is not None:
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport: httpx2.AsyncBaseTransport | None = httpx2.ASGITransport(app=app)
            url = IN_PROCESS_ORIGIN + app.state.mcp_path
        else:
            transport = None
        http = await stack.enter_async_context(
            httpx2.AsyncClient(transport=transport, headers=headers, timeout=timeout)
        )
        client = await stack.enter_async_context(
            Client(streamable_http_client(url, http_client=http), mode=mode)
        )
        yield client


def describe_error(error: BaseException | None) -> str:
    """One line for an error the SDK raised, unwrapping its task groups' exception groups."""
    if isinstance(error, BaseExceptionGroup) and error.exceptions:
        return describe_error(error.exceptions[0])
    if error is None:
        return "no answer"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
