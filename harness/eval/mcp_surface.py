"""The MCP surface of an eval run: the model's tools from ``tools/list``, its calls through
``tools/call``, both through the official SDK's client.

The tools offered to the model are built from the server's listing with the same function-tool
builder as the spec's (:func:`harness.contract.tools.function_tools`), so a server whose tools equal
the spec's yields byte-for-byte the same model requests, and the same cassettes replay. A tool
result is fed back to the model as the text of its content blocks: for this proxy, the JSON the
REST route answers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import mcp_types as types
import orjson
from mcp import Client

from harness.contract.tools import ToolDefinition, function_tools
from harness.errors import ExecutionError
from harness.eval.loop import Executor, truncate
from harness.mcp_client import describe_error
from harness.results import ToolCall


class McpSurfaceError(ExecutionError):
    """The MCP server cannot serve the suite (unreachable, or tools missing)."""


def definitions_of(tools: Iterable[types.Tool]) -> list[ToolDefinition]:
    """What a model reads of each listed tool: name, description, input schema."""
    return [ToolDefinition(tool.name, tool.description or "", tool.input_schema) for tool in tools]


def missing_tools(tools: Iterable[types.Tool], operations: Iterable[str]) -> list[str]:
    """The suite's operations the server offers no tool for, sorted."""
    return sorted(set(operations) - {tool.name for tool in tools})


def tool_differences(
    expected: Sequence[dict[str, Any]], actual: Sequence[dict[str, Any]]
) -> list[str]:
    """Every difference between two function-tool lists, one line each, naming the tool and
    the JSON pointer of the difference (empty when they are equal)."""
    expected_by_name = {tool["function"]["name"]: tool for tool in expected}
    actual_by_name = {tool["function"]["name"]: tool for tool in actual}
    differences = [
        f"tool {name}: missing" for name in expected_by_name.keys() - actual_by_name.keys()
    ]
    differences += [
        f"tool {name}: not in the spec" for name in actual_by_name.keys() - expected_by_name.keys()
    ]
    common = [name for name in expected_by_name if name in actual_by_name]
    if [name for name in actual_by_name if name in expected_by_name] != common:
        differences.append("tools are listed in a different order")
    for name in common:
        for pointer, detail in _diff(expected_by_name[name], actual_by_name[name], ""):
            differences.append(f"tool {name} at {pointer or '/'}: {detail}")
    return sorted(differences)


def _diff(expected: Any, actual: Any, pointer: str) -> Iterator[tuple[str, str]]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(expected.keys() | actual.keys()):
            here = f"{pointer}/{key}"
            if key not in actual:
                yield here, f"missing (expected {expected[key]!r})"
            elif key not in expected:
                yield here, f"unexpected {actual[key]!r}"
            else:
                yield from _diff(expected[key], actual[key], here)
    elif isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            yield from _diff(left, right, f"{pointer}/{index}")
    elif expected != actual or type(expected) is not type(actual):
        yield pointer, f"expected {expected!r}, got {actual!r}"


def result_text(result: types.CallToolResult) -> str:
    """What the model is told a tool returned: its text blocks (the JSON, for this proxy)."""
    texts = [block.text for block in result.content if isinstance(block, types.TextContent)]
    if texts:
        return "\n".join(texts)
    if result.structured_content is not None:
        return orjson.dumps(result.structured_content).decode()
    return ""


def mcp_executor(client: Client) -> Executor:
    """An executor sending each valid tool call as ``tools/call`` (``None`` arguments, strict
    mode's "not given", are dropped, as for the REST surface)."""

    async def execute(call: ToolCall) -> str:
        arguments = {k: v for k, v in (call.arguments or {}).items() if v is not None}
        result = await client.call_tool(call.name, arguments)
        return truncate(result_text(result))

    return execute


@dataclass
class McpSurface:
    """An open MCP session for a run: the model's tools, and the executor when executing."""

    tools: list[dict[str, Any]]
    listed: list[types.Tool]
    execute: Executor | None
    _stack: contextlib.AsyncExitStack

    @classmethod
    async def open(
        cls,
        session: contextlib.AbstractAsyncContextManager[Client],
        operations: Iterable[str],
        *,
        strict: bool,
        execute: bool,
        where: str,
    ) -> McpSurface:
        """List the tools of ``session``'s server; keep the session open only to execute.

        Raises :class:`McpSurfaceError` when the server is unreachable or lacks a tool for one
        of ``operations`` (named in the message).
        """
        stack = contextlib.AsyncExitStack()
        try:
            client = await stack.enter_async_context(session)
            listed = await _list_all(client)
        except Exception as error:
            await stack.aclose()
            raise McpSurfaceError(
                f"cannot list the tools of {where}: {describe_error(error)}"
            ) from None
        missing = missing_tools(listed, operations)
        if missing:
            await stack.aclose()
            raise McpSurfaceError(
                f"{where} has no tool for {len(missing)} of the suite's operations: "
                f"{', '.join(missing)}"
            )
        tools = function_tools(definitions_of(listed), strict)
        if not execute:
            await stack.aclose()
            return cls(tools, listed, None, contextlib.AsyncExitStack())
        return cls(tools, listed, mcp_executor(client), stack)

    async def aclose(self) -> None:
        """Close the session (and the in-process server, if any)."""
        await self._stack.aclose()


async def _list_all(client: Client) -> list[types.Tool]:
    tools: list[types.Tool] = []
    cursor: str | None = None
    for _ in range(100):
        page = await client.list_tools(cursor=cursor)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if cursor is None:
            return tools
    raise McpSurfaceError("tools/list kept returning a next cursor after 100 pages")
