"""LLM-tool rules: each operation must turn into a function a model can call well."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from harness.contract.jsondoc import join
from harness.contract.operation_walk import iter_operations, operation_parameters
from harness.contract.rules.base import (
    ALL_TARGETS,
    Issue,
    LintInput,
    iter_document_schemas,
    iter_subschemas,
    iter_tool_input_schemas,
    json_request_schema,
    rule,
)
from harness.contract.rules.sources import (
    ANTHROPIC_CHECKLIST,
    ANTHROPIC_POLICY,
    HARNESS_TOOLS,
    MCP_TOOLS,
    OPENAI_FUNCTIONS,
    STRUCTURED_OUTPUTS,
)
from harness.contract.tools import schema_strict_problems

OPERATION_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def _spec(lint: LintInput) -> dict[str, Any]:
    assert lint.spec is not None
    return lint.spec


@rule(
    "operation-id",
    "error",
    "set an operationId of letters, digits, '_' or '-' (1-64 chars)",
    targets=ALL_TARGETS,
    sources=(OPENAI_FUNCTIONS, ANTHROPIC_CHECKLIST, MCP_TOOLS),
)
def check_operation_id(lint: LintInput) -> Iterator[Issue]:
    """Every operation has an operationId matching `^[a-zA-Z0-9_-]{1,64}$`."""
    for operation in iter_operations(_spec(lint)):
        operation_id = operation.node.get("operationId")
        if operation_id is None:
            yield Issue("spec", operation.pointer, f"{operation.label} has no operationId")
        elif not isinstance(operation_id, str) or not OPERATION_ID.match(operation_id):
            yield Issue(
                "spec",
                join(operation.pointer, "operationId"),
                f"operationId {operation_id!r} does not match {OPERATION_ID.pattern}",
            )


@rule(
    "operation-id-unique",
    "error",
    "rename one of the operations; tool names must be unique",
    targets=ALL_TARGETS,
    sources=(HARNESS_TOOLS, MCP_TOOLS),
)
def check_operation_id_unique(lint: LintInput) -> Iterator[Issue]:
    """No two operations share an operationId (the tool name)."""
    seen: dict[str, str] = {}
    for operation in iter_operations(_spec(lint)):
        operation_id = operation.node.get("operationId")
        if not isinstance(operation_id, str):
            continue
        if operation_id in seen:
            yield Issue(
                "spec",
                join(operation.pointer, "operationId"),
                f"operationId {operation_id!r} is also used at {seen[operation_id]}",
            )
        else:
            seen[operation_id] = join(operation.pointer, "operationId")


@rule(
    "operation-description",
    "error",
    "describe what the operation does and when to use it",
    targets=ALL_TARGETS,
    sources=(HARNESS_TOOLS, ANTHROPIC_POLICY),
)
def check_operation_description(lint: LintInput) -> Iterator[Issue]:
    """Every operation has a non-empty description (the model reads it to pick the tool)."""
    for operation in iter_operations(_spec(lint)):
        description = operation.node.get("description")
        if not isinstance(description, str) or not description.strip():
            yield Issue("spec", operation.pointer, f"{operation.label} has no description")


@rule(
    "parameter-description",
    "error",
    "describe the parameter: meaning, format and an example",
    targets=ALL_TARGETS,
    sources=(HARNESS_TOOLS, ANTHROPIC_POLICY),
)
def check_parameter_description(lint: LintInput) -> Iterator[Issue]:
    """Every parameter has a non-empty description (the model reads it to fill the argument)."""
    spec = _spec(lint)
    for operation in iter_operations(spec):
        for parameter in operation_parameters(spec, operation):
            description = parameter.node.get("description")
            if not isinstance(description, str) or not description.strip():
                yield Issue(
                    "spec",
                    parameter.pointer,
                    f"{operation.label}: parameter {parameter.name!r} has no description",
                )


@rule(
    "parameter-collision",
    "error",
    "rename one of them: path, query and body fields become one flat argument object",
    targets=ALL_TARGETS,
    sources=(HARNESS_TOOLS,),
)
def check_parameter_collision(lint: LintInput) -> Iterator[Issue]:
    """No two path/query/header/body parameter names collide once flattened into arguments."""
    spec = _spec(lint)
    for operation in iter_operations(spec):
        names: list[tuple[str, str, str]] = [
            (p.name, p.location, p.pointer) for p in operation_parameters(spec, operation)
        ]
        body = json_request_schema(spec, operation)
        if body is not None and isinstance(body[0].get("properties"), dict):
            names += [(n, "body", join(body[1], "properties", n)) for n in body[0]["properties"]]
        counts = Counter(name for name, _, _ in names)
        first: dict[str, str] = {}
        for name, location, at in names:
            if counts[name] < 2:
                continue
            if name not in first:
                first[name] = location
                continue
            yield Issue(
                "spec",
                at,
                f"{operation.label}: {location} parameter {name!r} collides with the "
                f"{first[name]} parameter of the same name",
            )


def _registry(document: dict[str, Any]) -> Registry:
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    return Registry().with_resource("", resource)


@rule(
    "default-consistency",
    "error",
    "make the default one of the values the schema allows",
    targets=ALL_TARGETS,
    sources=(HARNESS_TOOLS,),
)
def check_defaults(lint: LintInput) -> Iterator[Issue]:
    """Every `default` satisfies its own schema (type, enum, minimum, maximum, pattern)."""
    spec = _spec(lint)
    registry = _registry(spec)
    for at, schema in iter_document_schemas(spec):
        if "default" not in schema:
            continue
        constraints = {key: value for key, value in schema.items() if key != "default"}
        try:
            Draft202012Validator.check_schema(constraints)
        except SchemaError:
            continue  # openapi-valid reports the broken schema
        validator = Draft202012Validator(constraints, registry=registry)
        for error in validator.iter_errors(schema["default"]):
            yield Issue("spec", join(at, "default"), f"default {error.message}")


@rule(
    "strict-schema",
    "warning",
    "use a keyword strict function schemas accept, so the tool converts to a strict schema",
    targets=ALL_TARGETS,
    sources=(STRUCTURED_OUTPUTS, HARNESS_TOOLS),
)
def check_strict(lint: LintInput) -> Iterator[Issue]:
    """Tool input schemas convert to strict function schemas; lists those that do not."""
    spec = _spec(lint)
    for operation in iter_operations(spec):
        for root_pointer, root in iter_tool_input_schemas(spec, operation):
            for at, schema in iter_subschemas(root, root_pointer):
                problems = "; ".join(schema_strict_problems(schema))
                if problems:
                    yield Issue(
                        "spec", at, f"{operation.label}: not strict-convertible: {problems}"
                    )
