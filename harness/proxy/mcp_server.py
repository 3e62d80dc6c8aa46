"""The MCP server: the official SDK's low-level ``Server`` with one tool per operation.

``tools/list`` answers the tools of :mod:`harness.proxy.mcp_tools`; ``tools/call`` runs the
operation's :class:`~harness.proxy.operations.OperationPipeline`, the one the REST route runs,
with the arguments validated by the same rules. Its result carries the projected JSON as
``structuredContent`` and as a text block; a refusal or an upstream failure is a result with
``isError: true`` carrying the REST error envelope. Only an unknown tool name is a JSON-RPC
error (invalid params), as the MCP spec asks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError

from harness.proxy.mcp_tools import spec_tools
from harness.proxy.operations import (
    SURFACE_MCP,
    Admission,
    CallParameters,
    OperationPipeline,
    OperationResult,
)
from harness.proxy.validation import RequestRules

CALLER_STATE_KEY = "harness_mcp_caller"
"""Where the HTTP layer leaves the authenticated caller id in the ASGI scope's state."""


def call_result(result: OperationResult) -> types.CallToolResult:
    """An operation's result as an MCP tool result (``isError`` for the error envelope)."""
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=result.json().decode())],
        structured_content=result.body,
        is_error=result.is_error,
    )


def create_mcp_server(
    spec: Any,
    pipelines: Mapping[str, OperationPipeline],
    admission: Admission,
    *,
    name: str,
    version: str,
    title: str | None = None,
    instructions: str | None = None,
) -> Server[Any]:
    """A low-level MCP server whose tools are the spec's operations, run by ``pipelines``."""
    listing = types.ListToolsResult(tools=spec_tools(spec))
    input_schemas = {tool.name: tool.input_schema for tool in listing.tools}

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return listing

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        pipeline = pipelines.get(params.name)
        if pipeline is None:
            raise MCPError(code=types.INVALID_PARAMS, message=f"Unknown tool: {params.name}")
        arguments = params.arguments or {}
        caller, client_host = _caller(ctx)

        def parse(rules: RequestRules) -> CallParameters:
            return CallParameters(*rules.parse_arguments(arguments))

        result = await pipeline.run(
            SURFACE_MCP, lambda: admission.limit(caller, client_host), parse
        )
        return call_result(result)

    return Server(
        name,
        version=version,
        title=title,
        instructions=instructions,
        get_tool_input_schema=input_schemas.get,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def _caller(ctx: ServerRequestContext[Any]) -> tuple[str | None, str | None]:
    """The authenticated caller id and the client address of the HTTP request behind ``ctx``."""
    request = ctx.request
    scope = getattr(request, "scope", None)
    if not isinstance(scope, dict):
        return None, None
    caller = scope.get("state", {}).get(CALLER_STATE_KEY)
    client = scope.get("client")
    return caller, client[0] if client else None
