"""A synchronous handle on the MCP SDK's client, for hypothesis (which runs synchronously).

The client lives on an event loop in a worker thread; each call is submitted to that loop and
waited for. A JSON-RPC error or a transport failure is returned as an outcome, never raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mcp_types as types
from mcp import Client
from mcp.shared.exceptions import MCPError

from harness.mcp_client import describe_error
from harness.proxy.errors import shorten

CALL_TIMEOUT_S = 60.0
SDK_OUTPUT_VALIDATION_ERROR = "Invalid structured content returned by tool"
"""How the SDK's client refuses a result whose structuredContent fails the tool's outputSchema."""


@dataclass(frozen=True)
class CallOutcome:
    """What one ``tools/call`` got: a result, or the error that stood in for one, and the
    check that error fails."""

    result: types.CallToolResult | None
    error: str | None = None
    failed_check: str = "jsonrpc_response"


class McpCaller:
    """An SDK client on an event loop in a worker thread, called synchronously."""

    def __init__(self, session: Callable[[], contextlib.AbstractAsyncContextManager[Client]]):
        self._session = session
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._client: Client | None = None
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="mcp-fuzz-client", daemon=True)

    def __enter__(self) -> McpCaller:
        self._thread.start()
        self._ready.wait(CALL_TIMEOUT_S)
        if self._failure is not None or self._client is None:
            raise RuntimeError(f"cannot connect: {describe_error(self._failure)}")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(CALL_TIMEOUT_S)

    def list_tools(self) -> list[types.Tool]:
        """Every tool the server lists."""
        return self._submit(self._list_tools())

    def call(self, name: str, arguments: dict[str, Any]) -> CallOutcome:
        """Send one ``tools/call``; a JSON-RPC error or a transport failure is an outcome."""
        try:
            return CallOutcome(self._submit(self._client_or_fail().call_tool(name, arguments)))
        except MCPError as error:
            message = f"JSON-RPC error {error.error.code}: {error.error.message}"
            return CallOutcome(None, shorten(message))
        except RuntimeError as error:
            if str(error).startswith(SDK_OUTPUT_VALIDATION_ERROR):
                # The SDK client validates structuredContent against outputSchema itself.
                return CallOutcome(None, shorten(str(error)), "output_schema_conformance")
            return CallOutcome(None, shorten(f"transport failure: {describe_error(error)}"))
        except Exception as error:
            return CallOutcome(None, shorten(f"transport failure: {describe_error(error)}"))

    def _submit(self, coroutine: Any) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(CALL_TIMEOUT_S)

    def _client_or_fail(self) -> Client:
        assert self._client is not None
        return self._client

    async def _list_tools(self) -> list[types.Tool]:
        tools, cursor = [], None
        while True:
            page = await self._client_or_fail().list_tools(cursor=cursor)
            tools.extend(page.tools)
            cursor = page.next_cursor
            if cursor is None:
                return tools

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        try:
            async with self._session() as client:
                self._loop, self._stop, self._client = (
                    asyncio.get_running_loop(),
                    asyncio.Event(),
                    client,
                )
                self._ready.set()
                await self._stop.wait()
        except BaseException as error:  # reported by __enter__, or ends the thread on exit
            self._failure = error
        finally:
            self._ready.set()
