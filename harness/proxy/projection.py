"""Response projection: keep only what the declared 200 schema declares, renamed as mapped.

The projection plan is compiled once per operation from the resolved schema. At every
object, upstream field names are first renamed (``x-upstream.rename``: upstream -> proxy),
then only declared properties are kept (plus, when ``additionalProperties`` is a schema,
extra keys projected onto it); arrays project their items; ``anyOf``/``oneOf`` take the first
branch that fits; ``allOf`` branches are merged.

Values that cannot conform are never passed through, so a projected response conforms by
construction:

- a scalar whose JSON type does not match is dropped (an integral float becomes an integer
  where the schema says integer; an integer is accepted where it says number; ``null`` is
  kept only where the schema allows ``null``); so is a value outside a declared ``enum``;
- a dropped optional property is omitted, a dropped array item is omitted;
- a required property that is missing or dropped drops its parent object in turn;
- when the top-level value itself cannot conform, :class:`ProjectionError` is raised (the
  proxy answers 502: the upstream broke its contract).

Value constraints other than type and ``enum`` (lengths, ranges, formats) are not enforced.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from harness.contract.jsondoc import declared_types
from harness.errors import HttpError

Projector = Callable[[Any], Any]

DROP = object()
"""Returned by a projector for a value that cannot conform to its schema."""

MAX_DEPTH = 64


class ProjectionError(HttpError, ValueError):
    """The upstream value cannot be shaped into the declared response schema."""


def compile_projection(schema: Mapping[str, Any], rename: Mapping[str, str]) -> Projector:
    """Compile ``schema`` into a function that projects a decoded JSON value onto it.

    The function returns the projected value or raises :class:`ProjectionError`.
    """
    project = _compile(schema, _sources_by_name(rename), 0)

    def project_response(value: Any) -> Any:
        projected = project(value)
        if projected is DROP:
            raise ProjectionError("the upstream response does not fit the declared schema")
        return projected

    return project_response


def _sources_by_name(rename: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Proxy name -> upstream names to look up, mapped names first, then the name itself."""
    sources: dict[str, list[str]] = {}
    for upstream, proxy in rename.items():
        sources.setdefault(proxy, []).append(upstream)
    return {proxy: (*names, proxy) for proxy, names in sources.items()}


def _compile(
    schema: Mapping[str, Any], renames: dict[str, tuple[str, ...]], depth: int
) -> Projector:
    if depth > MAX_DEPTH:
        raise ValueError(f"response schema nests deeper than {MAX_DEPTH} levels")
    if "allOf" in schema:
        return _compile(_merge_all_of(schema), renames, depth + 1)
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        shared = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
        return _compile_alternatives(
            [_compile({**shared, **branch}, renames, depth + 1) for branch in branches]
        )

    types = declared_types(schema, nullable=True)
    passes = _scalar_leaf_types(schema, types)
    if passes is not None:
        return _compile_scalar(passes, types)
    object_projector = (
        _compile_object(schema, renames, depth) if _shapes_objects(schema, types) else None
    )
    items = schema.get("items")
    item_projector = _compile(items, renames, depth + 1) if isinstance(items, Mapping) else None
    enum = schema.get("enum")
    allowed = set(map(_enum_key, enum)) if enum is not None else None

    def project(value: Any) -> Any:
        if allowed is not None and _enum_key(value) not in allowed:
            return DROP
        if value is None:
            return None if types is None or "null" in types else DROP
        if isinstance(value, dict):
            if types is not None and "object" not in types:
                return DROP
            return object_projector(value) if object_projector else value
        if isinstance(value, list):
            if types is not None and "array" not in types:
                return DROP
            if item_projector is None:
                return value
            return [item for item in map(item_projector, value) if item is not DROP]
        if types is None:
            return value
        return _project_scalar(value, types)

    return project


_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "null": (type(None),),
}
"""The Python types of decoded JSON values each scalar JSON type accepts as they are."""


def _scalar_leaf_types(
    schema: Mapping[str, Any], types: tuple[str, ...] | None
) -> frozenset[type] | None:
    """For a schema of scalar types only, with nothing else for the projection to look at, the
    Python types it keeps as they are; ``None`` for any other schema."""
    if (
        types is None
        or not all(kind in _PYTHON_TYPES for kind in types)
        or "enum" in schema
        or "items" in schema
        or _shapes_objects(schema, types)
    ):
        return None
    return frozenset(kind for name in types for kind in _PYTHON_TYPES[name])


def _compile_scalar(passes: frozenset[type], types: tuple[str, ...]) -> Projector:
    """The projector of a scalar leaf: one type lookup per value (the hot path of a response)."""
    converts_integral_floats = "integer" in types and "number" not in types

    def project(value: Any) -> Any:
        kind = type(value)
        if kind in passes:
            return value
        if converts_integral_floats and kind is float and value.is_integer():
            return int(value)
        return DROP

    return project


def _project_scalar(value: Any, types: tuple[str, ...]) -> Any:
    if isinstance(value, bool):
        return value if "boolean" in types else DROP
    if isinstance(value, int):
        return value if "integer" in types or "number" in types else DROP
    if isinstance(value, float):
        if "number" in types:
            return value
        return int(value) if "integer" in types and value.is_integer() else DROP
    if isinstance(value, str):
        return value if "string" in types else DROP
    return DROP


def _compile_object(
    schema: Mapping[str, Any], renames: dict[str, tuple[str, ...]], depth: int
) -> Projector:
    """The projector of an object schema, generated as straight-line Python.

    One block per declared property, in schema order: look up each source name (the renamed
    upstream names first), keep a scalar leaf's conforming value as it is (one type test, most
    fields) or else call the property's projector, and give up on the object when a required
    property has no value that fits. Generated rather than looped over a table: the loop's
    bookkeeping was most of the time of a search answer (README, Performance). Names enter
    the code only as ``repr`` string literals; the projectors and type sets are its globals.
    """
    required = set(schema.get("required", ()))
    namespace: dict[str, Any] = {"DROP": DROP}
    lines = ["def project_object(obj):", "    get = obj.get", "    out = {}"]
    declared: set[str] = set()
    for index, (name, sub) in enumerate(schema.get("properties", {}).items()):
        declared.add(name)
        sources = renames.get(name, (name,))
        keeps = _scalar_leaf_types(sub, declared_types(sub, nullable=True))
        namespace[f"project_{index}"] = _compile(sub, renames, depth + 1)
        needs_call = "value is not DROP"
        if keeps is not None:
            namespace[f"keeps_{index}"] = keeps
            needs_call += f" and type(value) not in keeps_{index}"
        for number, source in enumerate(sources):
            indent = "    " if number == 0 else "        "
            if number:
                lines.append("    if value is DROP:")
            lines += [
                f"{indent}value = get({source!r}, DROP)",
                f"{indent}if {needs_call}:",
                f"{indent}    value = project_{index}(value)",
            ]
        if name in required:
            lines += ["    if value is DROP:", "        return DROP", f"    out[{name!r}] = value"]
        else:
            lines += ["    if value is not DROP:", f"        out[{name!r}] = value"]
    extra_schema = schema.get("additionalProperties")
    if isinstance(extra_schema, Mapping):
        namespace["add_extra"] = _extra_projector(
            _compile(extra_schema, renames, depth + 1),
            declared | {source for name in declared for source in renames.get(name, ())},
            {upstream: proxy for proxy, sources in renames.items() for upstream in sources},
        )
        lines.append("    add_extra(obj, out)")
    lines.append("    return out")
    exec("\n".join(lines), namespace)  # the code is built above from repr literals
    return namespace["project_object"]


def _extra_projector(
    extra: Projector, consumed: set[str], proxy_name: dict[str, str]
) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    """Adds the keys an object does not declare, projected onto ``additionalProperties``."""

    def add_extra(obj: dict[str, Any], out: dict[str, Any]) -> None:
        for key, raw in obj.items():
            if key in consumed:
                continue
            value = extra(raw)
            if value is not DROP:
                out.setdefault(proxy_name.get(key, key), value)

    return add_extra


def _compile_alternatives(branches: list[Projector]) -> Projector:
    def project(value: Any) -> Any:
        for branch in branches:
            projected = branch(value)
            if projected is not DROP:
                return projected
        return DROP

    return project


def _shapes_objects(schema: Mapping[str, Any], types: tuple[str, ...] | None) -> bool:
    has_shape = "properties" in schema or "additionalProperties" in schema
    return (types is not None and "object" in types) or has_shape


def _merge_all_of(schema: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema["allOf"]:
        part = _merge_all_of(part) if "allOf" in part else part
        for key, value in part.items():
            if key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required":
                merged["required"] = [*merged.get("required", []), *value]
            else:
                merged.setdefault(key, value)
    return merged


def _enum_key(value: Any) -> tuple[str, Any]:
    """Hashable key matching JSON equality for scalars (so ``True`` never equals ``1``)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)
    if isinstance(value, dict | list):
        return ("json", repr(value))
    return (type(value).__name__, value)
