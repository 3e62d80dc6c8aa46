"""The spec's operations as MCP tools: the same definitions the function tools are built from.

Each tool's name, description and ``inputSchema`` come from
:func:`harness.contract.tools.tool_definition` (the one converter both surfaces use); its
``outputSchema`` is the operation's declared 200 response schema; its title and annotation
hints come from the operation's ``x-tool`` metadata (defaults derived from the HTTP method).
"""

from __future__ import annotations

from typing import Any

import mcp_types as types

from harness.contract.load import Operation
from harness.contract.tools import tool_definition


def operation_tool(operation: Operation) -> types.Tool:
    """The MCP tool of one operation."""
    definition = tool_definition(operation)
    metadata = operation.tool
    return types.Tool(
        name=definition.name,
        title=metadata.title,
        description=definition.description,
        input_schema=definition.parameters,
        output_schema=operation.response_schema,
        annotations=types.ToolAnnotations(
            title=metadata.title,
            read_only_hint=metadata.hint("readOnlyHint"),
            destructive_hint=metadata.hint("destructiveHint"),
            idempotent_hint=metadata.hint("idempotentHint"),
            open_world_hint=metadata.hint("openWorldHint"),
        ),
    )


def spec_tools(spec: Any) -> list[types.Tool]:
    """One MCP tool per operation of ``spec``, in spec order."""
    return [operation_tool(operation) for operation in spec.operations.values()]
