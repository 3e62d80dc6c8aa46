"""Proxy rules: every operation's `x-upstream` mapping points at real upstream parts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from harness.contract.jsondoc import declared_types, deref, join
from harness.contract.operation_walk import (
    OperationRef,
    ParameterRef,
    iter_operations,
    operation_parameters,
)
from harness.contract.rules.base import (
    ALL_TARGETS,
    Issue,
    LintInput,
    json_response_schema,
    rule,
    schema_issues,
)
from harness.contract.rules.sources import HARNESS_CONTRACT

PLACEHOLDER = re.compile(r"\{([^}/]+)\}")
FORWARDED_LOCATIONS = ("query", "path")
MAPPING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["path"],
    "additionalProperties": False,
    "properties": {
        "path": {"type": "string", "pattern": "^/"},
        "fixed": {
            "type": "object",
            "additionalProperties": {"type": ["string", "integer", "number", "boolean"]},
        },
        "params": {"type": "object", "additionalProperties": {"type": "string"}},
        "rename": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


def template(path: str) -> str:
    """A path with its placeholder names erased: `/podcasts/{id}` -> `/podcasts/{}`."""
    return PLACEHOLDER.sub("{}", path)


@dataclass(frozen=True)
class Mapping:
    """A well-formed `x-upstream` block of one proxy operation and the upstream it names."""

    operation: OperationRef
    pointer: str
    path: str
    fixed: dict[str, Any]
    params: dict[str, str]
    rename: dict[str, str]
    upstream: OperationRef | None


def _mappings(lint: LintInput) -> Iterator[Mapping]:
    """Well-formed mappings only; `upstream-mapping` reports the others."""
    assert lint.spec is not None and lint.upstream is not None
    upstream_operations = {
        (template(op.path), op.method): op for op in iter_operations(lint.upstream)
    }
    for operation in iter_operations(lint.spec):
        block = operation.node.get("x-upstream")
        if not isinstance(block, dict) or not Draft202012Validator(MAPPING_SCHEMA).is_valid(block):
            continue
        yield Mapping(
            operation,
            join(operation.pointer, "x-upstream"),
            block["path"],
            block.get("fixed", {}),
            block.get("params", {}),
            block.get("rename", {}),
            upstream_operations.get((template(block["path"]), operation.method)),
        )


@rule(
    "upstream-mapping",
    "error",
    "add x-upstream: {path: '/upstream/path', fixed?: {}, params?: {}, rename?: {}}",
    needs=("spec",),
    targets=ALL_TARGETS,
    sources=(HARNESS_CONTRACT,),
)
def check_mapping(lint: LintInput) -> Iterator[Issue]:
    """Every operation has a well-formed `x-upstream` mapping."""
    assert lint.spec is not None
    for operation in iter_operations(lint.spec):
        block = operation.node.get("x-upstream")
        at = join(operation.pointer, "x-upstream")
        if block is None:
            yield Issue("spec", operation.pointer, f"{operation.label} has no x-upstream mapping")
        else:
            yield from schema_issues("spec", block, MAPPING_SCHEMA, at)


@rule(
    "upstream-path",
    "error",
    "use an upstream path and method of the upstream spec; fill placeholders from path params",
    needs=("spec", "upstream"),
    targets=ALL_TARGETS,
    sources=(HARNESS_CONTRACT,),
)
def check_path(lint: LintInput) -> Iterator[Issue]:
    """The mapping names an existing upstream path + method; placeholders are path parameters."""
    assert lint.spec is not None
    for mapping in _mappings(lint):
        at = join(mapping.pointer, "path")
        if mapping.upstream is None:
            yield Issue(
                "spec",
                at,
                f"{mapping.operation.label}: upstream has no "
                f"{mapping.operation.method.upper()} {mapping.path}",
            )
        path_parameters = {
            p.name
            for p in operation_parameters(lint.spec, mapping.operation)
            if p.location == "path"
        }
        for name in PLACEHOLDER.findall(mapping.path):
            if name not in path_parameters:
                yield Issue(
                    "spec",
                    at,
                    f"{mapping.operation.label}: placeholder {{{name}}} is not a path "
                    f"parameter of the operation",
                )


def _upstream_parameters(lint: LintInput, operation: OperationRef) -> dict[str, ParameterRef]:
    assert lint.upstream is not None
    return {
        p.name: p
        for p in operation_parameters(lint.upstream, operation)
        if p.location in FORWARDED_LOCATIONS
    }


def _enum(document: dict[str, Any], parameter: ParameterRef) -> list[Any] | None:
    schema, _ = deref(document, parameter.schema, parameter.pointer)
    if isinstance(schema, dict) and isinstance(schema.get("enum"), list):
        return schema["enum"]
    if isinstance(schema, dict) and "const" in schema:
        return [schema["const"]]
    return None


@rule(
    "upstream-params",
    "error",
    "map the parameter through x-upstream.params to an upstream parameter, or drop it",
    needs=("spec", "upstream"),
    targets=ALL_TARGETS,
    sources=(HARNESS_CONTRACT,),
)
def check_params(lint: LintInput) -> Iterator[Issue]:
    """Forwarded, fixed and required parameters all exist upstream and take upstream values."""
    assert lint.spec is not None and lint.upstream is not None
    for mapping in _mappings(lint):
        if mapping.upstream is None:
            continue
        label = mapping.operation.label
        upstream = _upstream_parameters(lint, mapping.upstream)
        placeholders = set(PLACEHOLDER.findall(mapping.path))
        proxy = operation_parameters(lint.spec, mapping.operation)
        proxy_names = {p.name for p in proxy}
        supplied: dict[str, str] = {}
        for key in mapping.params:
            if key not in proxy_names:
                yield Issue(
                    "spec",
                    join(mapping.pointer, "params", key),
                    f"{label}: params maps {key!r}, which is not a parameter of the operation",
                )
        for key, value in mapping.fixed.items():
            at = join(mapping.pointer, "fixed", key)
            supplied[key] = at
            if key not in upstream:
                yield Issue("spec", at, f"{label}: fixed {key!r} is not an upstream parameter")
                continue
            allowed = _enum(lint.upstream, upstream[key])
            if allowed is not None and value not in allowed:
                yield Issue("spec", at, f"{label}: fixed {key}={value!r} is not one of {allowed}")
        for parameter in proxy:
            if parameter.location == "path" and parameter.name in placeholders:
                supplied[parameter.name] = parameter.pointer
                continue
            target = mapping.params.get(parameter.name, parameter.name)
            if target not in upstream:
                yield Issue(
                    "spec",
                    parameter.pointer,
                    f"{label}: parameter {parameter.name!r} maps to upstream {target!r}, which "
                    f"{mapping.upstream.method.upper()} {mapping.upstream.path} does not take",
                )
                continue
            if target in supplied:
                yield Issue(
                    "spec",
                    parameter.pointer,
                    f"{label}: upstream {target!r} is already supplied by {supplied[target]}",
                )
            if parameter.node.get("required") is True:
                supplied[target] = parameter.pointer
            allowed = _enum(lint.upstream, upstream[target])
            ours = _enum(lint.spec, parameter)
            if allowed is not None and ours is not None:
                extra = [value for value in ours if value not in allowed]
                if extra:
                    yield Issue(
                        "spec",
                        join(parameter.pointer, "schema"),
                        f"{label}: {parameter.name!r} allows {extra}, which upstream "
                        f"{target!r} does not accept (upstream: {allowed})",
                    )
        for name, parameter in upstream.items():
            if parameter.node.get("required") is True and name not in supplied:
                yield Issue(
                    "spec",
                    mapping.pointer,
                    f"{label}: upstream requires {name!r}; supply it from a required parameter, "
                    f"a path placeholder or x-upstream.fixed",
                )


@rule(
    "closed-set-enum",
    "warning",
    "declare the upstream's closed set as an enum so the model cannot invent values",
    needs=("spec", "upstream"),
    targets=ALL_TARGETS,
    sources=(HARNESS_CONTRACT,),
)
def check_closed_sets(lint: LintInput) -> Iterator[Issue]:
    """Parameters whose upstream counterpart has a closed set of values declare an enum."""
    assert lint.spec is not None and lint.upstream is not None
    for mapping in _mappings(lint):
        if mapping.upstream is None:
            continue
        upstream = _upstream_parameters(lint, mapping.upstream)
        for parameter in operation_parameters(lint.spec, mapping.operation):
            target = upstream.get(mapping.params.get(parameter.name, parameter.name))
            if target is None:
                continue
            allowed = _enum(lint.upstream, target)
            if allowed is not None and _enum(lint.spec, parameter) is None:
                yield Issue(
                    "spec",
                    join(parameter.pointer, "schema"),
                    f"{mapping.operation.label}: {parameter.name!r} is free text but upstream "
                    f"accepts only {allowed}",
                )


def _variants(document: dict[str, Any], schema: Any) -> list[dict[str, Any]]:
    """A schema and the branches of its allOf/anyOf/oneOf, `$ref`s followed, flattened."""
    schema, _ = deref(document, schema, "")
    if not isinstance(schema, dict):
        return []
    found = [schema]
    for key in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(key) or []:
            found += _variants(document, branch)
    return found


def _type_gap(ours: set[str], theirs: set[str]) -> set[str]:
    """Upstream types (other than null) the proxy's declared types do not accept."""
    accepted = ours | ({"integer"} if "number" in ours else set())
    return {t for t in theirs - accepted if t != "null"}


class _ResponseWalk:
    """Walks a proxy response schema alongside the upstream schemas it is projected from."""

    def __init__(self, lint: LintInput, mapping: Mapping) -> None:
        assert lint.spec is not None and lint.upstream is not None
        self.spec, self.upstream, self.mapping = lint.spec, lint.upstream, mapping
        self.seen: set[tuple[str, tuple[int, ...]]] = set()

    def walk(self, schema: Any, at: str, sources: list[Any]) -> Iterator[Issue]:
        schema, at = deref(self.spec, schema, at)
        upstream = [v for s in sources for v in _variants(self.upstream, s)]
        key = (at, tuple(sorted(id(v) for v in upstream)))
        if not isinstance(schema, dict) or not upstream or key in self.seen:
            return
        self.seen.add(key)
        ours = _type_set(schema)
        theirs = set().union(*(t for v in upstream if (t := _type_set(v)) is not None))
        if ours is not None and theirs and (gap := _type_gap(ours, theirs)) and not ours & theirs:
            yield Issue(
                "spec",
                join(at, "type"),
                f"{self.mapping.operation.label}: declared type {sorted(ours)} but upstream "
                f"supplies {sorted(gap)}",
            )
        for key_word in ("allOf", "anyOf", "oneOf"):
            for index, branch in enumerate(schema.get(key_word) or []):
                yield from self.walk(branch, join(at, key_word, index), sources)
        if "items" in schema:
            items = [v["items"] for v in upstream if "items" in v]
            yield from self.walk(schema["items"], join(at, "items"), items)
        properties = schema.get("properties")
        if isinstance(properties, dict):
            yield from self._properties(properties, join(at, "properties"), upstream)

    def _properties(
        self, properties: dict[str, Any], at: str, upstream: list[dict[str, Any]]
    ) -> Iterator[Issue]:
        available: dict[str, list[Any]] = {}
        for variant in upstream:
            for name, child in (variant.get("properties") or {}).items():
                available.setdefault(self.mapping.rename.get(name, name), []).append(child)
        if not available:
            return
        for name, child in properties.items():
            if name in available:
                yield from self.walk(child, join(at, name), available[name])
                continue
            renamed = [u for u, p in self.mapping.rename.items() if p == name]
            via = f" (rename maps {renamed} to it)" if renamed else ""
            yield Issue(
                "spec",
                join(at, name),
                f"{self.mapping.operation.label}: upstream response has no field that becomes "
                f"{name!r}{via}",
            )


@rule(
    "upstream-response",
    "error",
    "drop the field, or add an x-upstream.rename entry from the upstream field that supplies it",
    needs=("spec", "upstream"),
    targets=ALL_TARGETS,
    sources=(HARNESS_CONTRACT,),
)
def check_response(lint: LintInput) -> Iterator[Issue]:
    """Declared 200 response fields (after `rename`) exist in the upstream 200 response."""
    assert lint.spec is not None and lint.upstream is not None
    for mapping in _mappings(lint):
        if mapping.upstream is None:
            continue
        ours = json_response_schema(lint.spec, mapping.operation)
        theirs = json_response_schema(lint.upstream, mapping.upstream)
        if ours is None or theirs is None:
            continue
        yield from _ResponseWalk(lint, mapping).walk(ours[0], ours[1], [theirs[0]])


def _type_set(schema: dict[str, Any]) -> set[str] | None:
    types = declared_types(schema)
    return None if types is None else set(types)
