"""The rule registry and the schema helpers the rules share.

The rules walk operations and parameters with :mod:`harness.contract.operation_walk`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from jsonschema import Draft202012Validator

from harness.contract.jsondoc import deref, join, pointer
from harness.contract.operation_walk import OperationRef, iter_operations, operation_parameters
from harness.contract.rules.sources import Source
from harness.targets import TARGETS

Severity = Literal["error", "warning"]
DocumentName = Literal["spec", "manifest", "config"]

ALL_TARGETS = TARGETS
DIRECTORIES = ("openai-apps", "claude-directory")
MCP_HOSTS = ("mcp", *DIRECTORIES)


@dataclass(frozen=True)
class Issue:
    """What a rule reports: where (document + JSON pointer), what, and optionally how to fix."""

    document: DocumentName
    pointer: str
    message: str
    hint: str | None = None


@dataclass(frozen=True)
class LintInput:
    """The parsed documents a lint run checks; `None` where a document was not given."""

    spec: dict[str, Any] | None
    manifest: dict[str, Any] | None
    upstream: dict[str, Any] | None
    submission: dict[str, Any] | None = None
    """The `[tool.harness.submission]` table (privacy/terms/support URLs), when configured."""


@dataclass(frozen=True)
class Rule:
    """A registered check: default severity, fix hint, the targets it applies to, its sources."""

    id: str
    severity: Severity
    needs: tuple[str, ...]
    hint: str
    summary: str
    check: Callable[[LintInput], Iterable[Issue]]
    targets: tuple[str, ...] = ALL_TARGETS
    sources: tuple[Source, ...] = ()

    @property
    def third_party_only(self) -> bool:
        """Whether every source is a third-party page (such a rule is only a warning)."""
        return all(source.kind == "third-party" for source in self.sources)


RULES: dict[str, Rule] = {}
Check = Callable[[LintInput], Iterable[Issue]]


def register_rule(rule: Rule) -> Rule:
    """Add ``rule`` to the registry; targets must be known and sources given."""
    unknown = sorted(set(rule.targets) - set(TARGETS))
    if unknown or not rule.targets:
        raise ValueError(f"rule {rule.id}: unknown or no targets {unknown}")
    if not rule.sources:
        raise ValueError(f"rule {rule.id}: no source")
    if rule.third_party_only and rule.severity == "error":
        raise ValueError(f"rule {rule.id}: a rule with only third-party sources is a warning")
    RULES[rule.id] = rule
    return rule


def rule(
    rule_id: str,
    severity: Severity,
    hint: str,
    needs: tuple[str, ...] = ("spec",),
    *,
    targets: tuple[str, ...],
    sources: tuple[Source, ...],
) -> Callable[[Check], Check]:
    """Register a check under `rule_id`; the first docstring line becomes its summary."""

    def register(check: Check) -> Check:
        summary = (check.__doc__ or rule_id).strip().splitlines()[0]
        register_rule(Rule(rule_id, severity, needs, hint, summary, check, targets, sources))
        return check

    return register


def json_request_schema(
    document: dict[str, Any], operation: OperationRef
) -> tuple[dict[str, Any], str] | None:
    """The operation's `application/json` request body schema and its pointer, if it has one."""
    body, at = deref(
        document, operation.node.get("requestBody"), join(operation.pointer, "requestBody")
    )
    if not isinstance(body, dict):
        return None
    media = (body.get("content") or {}).get("application/json")
    if not isinstance(media, dict) or not isinstance(media.get("schema"), dict):
        return None
    return deref(document, media["schema"], join(at, "content", "application/json", "schema"))


def json_response_schema(
    document: dict[str, Any], operation: OperationRef, status: str = "200"
) -> tuple[dict[str, Any], str] | None:
    """The operation's `application/json` schema for `status`, with its pointer, if declared."""
    responses = operation.node.get("responses")
    if not isinstance(responses, dict) or status not in responses:
        return None
    response, at = deref(document, responses[status], join(operation.pointer, "responses", status))
    media = (
        (response.get("content") or {}).get("application/json")
        if isinstance(response, dict)
        else None
    )
    if not isinstance(media, dict) or not isinstance(media.get("schema"), dict):
        return None
    return deref(document, media["schema"], join(at, "content", "application/json", "schema"))


SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SUBSCHEMA_SINGLE = ("items", "additionalProperties", "not", "if", "then", "else", "contains")


def iter_subschemas(schema: Any, at: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """A schema and every schema nested in it (not following `$ref`), with pointers."""
    if not isinstance(schema, dict):
        return
    yield at, schema
    for key in SUBSCHEMA_MAPS:
        children = schema.get(key)
        if isinstance(children, dict):
            for name, child in children.items():
                yield from iter_subschemas(child, join(at, key, name))
    for key in SUBSCHEMA_LISTS:
        children = schema.get(key)
        if isinstance(children, list):
            for index, child in enumerate(children):
                yield from iter_subschemas(child, join(at, key, index))
    for key in SUBSCHEMA_SINGLE:
        yield from iter_subschemas(schema.get(key), join(at, key))


def iter_tool_input_schemas(
    document: dict[str, Any], operation: OperationRef
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The schemas a model fills in for this operation: parameter schemas and the JSON body."""
    for parameter in operation_parameters(document, operation):
        schema, at = deref(document, parameter.schema, join(parameter.pointer, "schema"))
        yield at, schema
    body = json_request_schema(document, operation)
    if body is not None:
        yield body[1], body[0]


def iter_document_schemas(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema written in the document (components, parameters, bodies, responses)."""
    seen: set[str] = set()
    roots: list[tuple[str, Any]] = []
    components = document.get("components")
    if isinstance(components, dict) and isinstance(components.get("schemas"), dict):
        roots += [
            (pointer("components", "schemas", n), s) for n, s in components["schemas"].items()
        ]
    for operation in iter_operations(document):
        for parameter in operation_parameters(document, operation):
            roots.append((join(parameter.pointer, "schema"), parameter.schema))
        for found in (
            json_request_schema(document, operation),
            json_response_schema(document, operation),
        ):
            if found is not None:
                roots.append((found[1], found[0]))
    for root_pointer, root in roots:
        for at, schema in iter_subschemas(root, root_pointer):
            if at not in seen:
                seen.add(at)
                yield at, schema


def schema_issues(
    document_name: DocumentName, instance: Any, schema: dict[str, Any], base: str = ""
) -> Iterator[Issue]:
    """Validate `instance` against a JSON Schema, one issue per error, located by pointer."""
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    for error in sorted(
        validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))
    ):
        yield Issue(document_name, join(base, *error.absolute_path), error.message)
