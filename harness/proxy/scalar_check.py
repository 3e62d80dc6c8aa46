"""A direct check of a scalar value against the parameter schemas most specs write.

jsonschema walks a schema keyword by keyword through generators on every call: a few
microseconds per parameter, most of what validating a request costs. A schema that uses only
``type``, ``enum``, ``minimum``, ``maximum``, ``minLength``, ``maxLength`` and ``pattern``
(ECMA-262, as :func:`~harness.proxy.validation.ecma_regex` reads it) plus annotations is
checked here directly instead, with the same Draft 2020-12 meaning: a keyword constrains only
values of the types it applies to, ``1.0`` is an integer, a boolean is never a number, and an
``enum`` member equals a value of the same JSON type only.

Only a pass is taken from here: a value this check refuses, and every schema it does not
cover, goes to jsonschema, which decides and words the error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

ANNOTATIONS = frozenset(
    {"$comment", "default", "deprecated", "description", "example", "examples", "format",
     "readOnly", "title", "writeOnly"}
)  # fmt: skip
"""Keywords that assert nothing (``format`` too: the validators are built without a format
checker), besides ``x-`` extensions."""
ASSERTIONS = frozenset({"type", "enum", "minimum", "maximum", "minLength", "maxLength", "pattern"})
JSON_TYPES = frozenset({"string", "integer", "number", "boolean", "null", "array", "object"})

ScalarCheck = Callable[[Any], bool]


def scalar_check(
    schema: Mapping[str, Any], regex: Callable[[str], re.Pattern[str]]
) -> ScalarCheck | None:
    """A function telling whether a str, int, float, bool or None value passes ``schema``, or
    ``None`` when ``schema`` uses a keyword (or a keyword value) this module does not cover.
    ``regex`` compiles a ``pattern``."""
    if not isinstance(schema, Mapping):
        return None
    for keyword in schema:
        if (
            keyword not in ASSERTIONS
            and keyword not in ANNOTATIONS
            and not keyword.startswith("x-")
        ):
            return None
    types = _types(schema.get("type", list(JSON_TYPES)))
    enum = schema.get("enum")
    members = None if enum is None else _enum_members(enum)
    bounds = [schema.get(name) for name in ("minimum", "maximum")]
    lengths = [schema.get(name) for name in ("minLength", "maxLength")]
    pattern = schema.get("pattern")
    if (
        types is None
        or (enum is not None and members is None)
        or not all(bound is None or _is_number(bound) for bound in bounds)
        or not all(length is None or _is_count(length) for length in lengths)
        or not (pattern is None or isinstance(pattern, str))
    ):
        return None
    minimum, maximum = bounds
    min_length, max_length = lengths
    search = regex(pattern).search if pattern is not None else None

    def check(value: Any) -> bool:
        kind = type(value)
        if kind is str:
            if "string" not in types:
                return False
            if min_length is not None and len(value) < min_length:
                return False
            if max_length is not None and len(value) > max_length:
                return False
            if search is not None and search(value) is None:
                return False
        elif kind is int or kind is float:
            integral = kind is int or value.is_integer()
            if "number" not in types and not ("integer" in types and integral):
                return False
            if minimum is not None and value < minimum:
                return False
            if maximum is not None and value > maximum:
                return False
        elif kind is bool:
            if "boolean" not in types:
                return False
        elif value is None:
            if "null" not in types:
                return False
        else:
            return False
        return members is None or _member_key(value) in members

    return check


OBJECT_KEYWORDS = frozenset({"type", "properties", "required", "additionalProperties"})


def object_check(
    schema: Mapping[str, Any], regex: Callable[[str], re.Pattern[str]]
) -> Callable[[Mapping[str, Any]], bool] | None:
    """A function telling whether an object (a dict) of scalar values passes ``schema``, an
    object schema whose properties each have a :func:`scalar_check`; ``None`` when ``schema``
    is not of that shape. A value that is not a scalar fails the check (jsonschema decides)."""
    if not isinstance(schema, Mapping) or schema.get("type") != "object":
        return None
    if any(k not in OBJECT_KEYWORDS and k not in ANNOTATIONS for k in schema):
        return None
    properties, required = schema.get("properties", {}), schema.get("required", [])
    closed = schema.get("additionalProperties", True)
    if (
        not isinstance(properties, Mapping)
        or not isinstance(required, list)
        or not all(isinstance(name, str) for name in required)
        or closed not in (True, False)
    ):
        return None
    checks = {name: scalar_check(subschema, regex) for name, subschema in properties.items()}
    if None in checks.values():
        return None
    closed = closed is False

    def check(value: Mapping[str, Any]) -> bool:
        if any(name not in value for name in required):
            return False
        for name, item in value.items():
            passes = checks.get(name)
            if passes is None:
                if closed:
                    return False
            elif not passes(item):  # False for any value that is not a scalar
                return False
        return True

    return check


def _types(declared: Any) -> frozenset[str] | None:
    names = [declared] if isinstance(declared, str) else declared
    if not isinstance(names, list) or not all(name in JSON_TYPES for name in names):
        return None
    return frozenset(names)


def _enum_members(enum: Any) -> frozenset[tuple[str, Any]] | None:
    if not isinstance(enum, list) or not all(_is_scalar(member) for member in enum):
        return None
    return frozenset(map(_member_key, enum))


def _member_key(value: Any) -> tuple[str, Any]:
    """Equal for JSON-equal scalars only: ``True`` is not ``1``, ``1.0`` is ``1``."""
    if type(value) is bool:
        return ("boolean", value)
    if type(value) in (int, float):
        return ("number", value)
    return (type(value).__name__, value)


def _is_scalar(value: Any) -> bool:
    return value is None or type(value) in (str, int, float, bool)


def _is_number(value: Any) -> bool:
    return type(value) in (int, float) and value == value  # not NaN


def _is_count(value: Any) -> bool:
    return (type(value) is int or (type(value) is float and value.is_integer())) and value >= 0
