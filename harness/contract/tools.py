"""OpenAPI operations -> OpenAI function tools, and a tool call back to the HTTP request.

Each operation becomes one function tool named by its ``operationId``; its path and query
parameters are flattened into one JSON-schema object whose properties keep the parameter's
description, enum, default and bounds. In strict mode every property is required (optional
ones become nullable, ``null`` meaning "not given"), ``additionalProperties`` is false, and
``default``, ``minLength`` and ``maxLength``, which strict schemas reject, move into the
property's description (the proxy still enforces the bounds).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from harness.contract.jsondoc import declared_types
from harness.errors import HarnessError

logger = logging.getLogger(__name__)

MAX_DESCRIPTION_CHARS = 1024
TOOL_LOCATIONS = ("path", "query")

# Keywords a strict function schema accepts; anything else makes an operation non-strict.
STRICT_KEYWORDS = frozenset(
    {
        "type",
        "description",
        "title",
        "enum",
        "const",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "anyOf",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
    }
)


# Keywords strict schemas reject but a model can read as text: keyword -> description sentence.
DESCRIBED_IN_STRICT = {
    "default": "Default: {}.",
    "minLength": "Minimum length: {}.",
    "maxLength": "Maximum length: {}.",
}
# String formats a strict function schema accepts.
STRICT_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)


class UnknownToolError(HarnessError, KeyError):
    """A tool name that is not an operationId of the spec."""


@dataclass(frozen=True)
class ToolDefinition:
    """What a model reads about one tool: name, description and the parameters' JSON schema.

    The one conversion of an operation (:func:`tool_definition`) that both surfaces share: the
    function tools wrap it (:func:`function_tools`), the MCP tools serve it as ``inputSchema``.
    """

    name: str
    description: str
    parameters: dict[str, Any]


def tool_definition(operation: Any) -> ToolDefinition:
    """The tool of one operation: name = operationId, flattened path and query parameters."""
    return ToolDefinition(
        name=operation.operation_id,
        description=_capped_description(operation),
        parameters=_parameters_schema(operation),
    )


def operations_to_tools(spec: Any, strict: bool = False) -> list[dict[str, Any]]:
    """One OpenAI function tool per operation of ``spec``, in spec order.

    With ``strict``, operations whose parameters cannot be expressed as a strict schema are
    emitted non-strict and reported with a warning naming the operation and the reason.
    """
    return function_tools(
        [tool_definition(operation) for operation in spec.operations.values()], strict
    )


def function_tools(
    definitions: Iterable[ToolDefinition], strict: bool = False
) -> list[dict[str, Any]]:
    """OpenAI function tools for ``definitions`` (from the spec or from an MCP ``tools/list``)."""
    tools = []
    for definition in definitions:
        parameters = copy.deepcopy(definition.parameters)
        function: dict[str, Any] = {
            "name": definition.name,
            "description": definition.description,
            "parameters": parameters,
        }
        if strict:
            problems = strict_problems(parameters)
            if problems:
                logger.warning(
                    "operation %s cannot be strict (%s); sent non-strict",
                    definition.name,
                    "; ".join(problems),
                )
                function["strict"] = False
            else:
                function["parameters"] = _make_strict(parameters)
                function["strict"] = True
        tools.append({"type": "function", "function": function})
    return tools


def tool_call_to_request(
    spec: Any, name: str, arguments: dict[str, Any]
) -> tuple[str, str, dict[str, Any]]:
    """The proxy request a tool call stands for: ``(method, path, query)``.

    Path parameters are substituted (URL-quoted) into the server-prefixed path; ``None``
    arguments (strict mode's "not given") are dropped; arguments that are not parameters of
    the operation are ignored, as the proxy would ignore them.
    """
    operation = spec.operations.get(name)
    if operation is None:
        raise UnknownToolError(name)
    path = spec.server_path + operation.path
    query: dict[str, Any] = {}
    for parameter in operation.parameters:
        value = arguments.get(parameter.name)
        if value is None:
            if parameter.location == "path":
                raise ValueError(f"{name}: missing path parameter {parameter.name!r}")
            continue
        if parameter.location == "path":
            path = path.replace("{" + parameter.name + "}", quote(str(value), safe=""))
        elif parameter.location == "query":
            query[parameter.name] = value
    return operation.method.upper(), path, query


def strict_problems(parameters: dict[str, Any]) -> list[str]:
    """Why a tool's parameter schema cannot be made strict (empty when it can)."""
    return [
        f"{name}: {problem}"
        for name, schema in parameters.get("properties", {}).items()
        for problem in schema_strict_problems(schema)
    ]


def schema_strict_problems(schema: dict[str, Any]) -> list[str]:
    """Why one schema (not its subschemas) cannot be converted to a strict one.

    Keywords listed in ``DESCRIBED_IN_STRICT`` are no problem: the conversion moves them into
    the description. `harness lint`'s strict-schema rule uses this same test.
    """
    problems = []
    if not {"type", "enum", "const", "anyOf", "$ref"} & set(schema):
        problems.append("no type")
    unsupported = sorted(set(schema) - STRICT_KEYWORDS - set(DESCRIBED_IN_STRICT) - {"$ref"})
    if unsupported:
        problems.append(f"unsupported keyword(s) {', '.join(unsupported)}")
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt not in STRICT_FORMATS:
        problems.append(f"format {fmt!r} is not supported")
    if schema.get("type") == "object" and schema.get("additionalProperties") not in (None, False):
        problems.append("objects must set additionalProperties: false")
    return problems


def _parameters_schema(operation: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for parameter in operation.parameters:
        if parameter.location not in TOOL_LOCATIONS:
            continue
        schema = copy.deepcopy(dict(parameter.schema))
        if parameter.description and "description" not in schema:
            schema = {"description": parameter.description, **schema}
        properties[parameter.name] = schema
        if parameter.required:
            required.append(parameter.name)
    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = required
    return parameters


def _make_strict(parameters: dict[str, Any]) -> dict[str, Any]:
    required = set(parameters.get("required", ()))
    properties = {}
    for name, schema in parameters["properties"].items():
        strict_schema = dict(schema)
        sentences = [strict_schema.get("description", "").rstrip()]
        for keyword, sentence in DESCRIBED_IN_STRICT.items():
            if keyword in strict_schema:
                sentences.append(sentence.format(strict_schema.pop(keyword)))
        if len(sentences) > 1:
            strict_schema["description"] = " ".join(filter(None, sentences))
        if name not in required:
            strict_schema = _nullable(strict_schema)
        properties[name] = strict_schema
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    nullable = dict(schema)
    types = declared_types(nullable)
    if types is not None and "null" not in types:
        nullable["type"] = [*types, "null"]
    if "enum" in nullable and None not in nullable["enum"]:
        nullable["enum"] = [*nullable["enum"], None]
    return nullable


def _capped_description(operation: Any) -> str:
    description = (operation.description or operation.summary or "").strip()
    if len(description) <= MAX_DESCRIPTION_CHARS:
        return description
    logger.warning(
        "operation %s: description cut from %d to %d characters",
        operation.operation_id,
        len(description),
        MAX_DESCRIPTION_CHARS,
    )
    return description[: MAX_DESCRIPTION_CHARS - 1].rstrip() + "…"
