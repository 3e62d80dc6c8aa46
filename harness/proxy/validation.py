"""Request validation compiled once per operation: convert query strings, then check the schema.

Each declared parameter becomes a :class:`ParameterRule` holding a converter for its declared
type (integer, number, boolean, string) and a precompiled jsonschema validator. Undeclared
query parameters are ignored (never forwarded); a value that does not convert or validate,
a repeated value, an over-long value or a missing required parameter is a 400 naming it.

Integers and numbers are ASCII digits only (``５`` is not 5). A schema ``pattern`` means an
ECMA-262 regular expression (JSON Schema's rule), not Python's: :func:`ecma_regex` translates
the differences that matter for validation (``$`` matches only at the very end, never before
a trailing newline; ``\\d``/``\\w`` are ASCII; ``.`` matches no line terminator).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match

from harness.contract.jsondoc import declared_types, scalar_type
from harness.errors import HttpError
from harness.proxy.errors import ProxyError, shorten
from harness.proxy.scalar_check import ScalarCheck, scalar_check

MAX_VALUE_LENGTH = 2048

_INTEGER = re.compile(r"-?[0-9]{1,30}")
_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")

_ECMA_CLASS_ESCAPES = {"d": "0-9", "w": "A-Za-z0-9_"}
_ECMA_ESCAPES = {
    "d": "[0-9]",
    "D": "[^0-9]",
    "w": "[A-Za-z0-9_]",
    "W": "[^A-Za-z0-9_]",
}
_ECMA_DOT = "[^\n\r\u2028\u2029]"


@functools.lru_cache(maxsize=256)
def ecma_regex(pattern: str) -> re.Pattern[str]:
    """Compile an ECMA-262 ``pattern`` (no flags) as a Python regex with the same meaning for
    validation: ``$`` only at the end of input, ASCII ``\\d``/``\\w``, ``.`` without line
    terminators. Use it with ``search``, as JSON Schema's ``pattern`` does."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            escaped = pattern[index + 1]
            if in_class and escaped in _ECMA_CLASS_ESCAPES:
                out.append(_ECMA_CLASS_ESCAPES[escaped])
            elif not in_class and escaped in _ECMA_ESCAPES:
                out.append(_ECMA_ESCAPES[escaped])
            else:
                out.append(char + escaped)
            index += 2
            continue
        if in_class:
            in_class = char != "]" or out[-1] == "["
        elif char == "[":
            in_class = True
        elif char == "$":
            char = r"\Z"
        elif char == ".":
            char = _ECMA_DOT
        out.append(char)
        index += 1
    return re.compile("".join(out))


def _ecma_pattern(
    validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not ecma_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


ECMAValidator = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})
"""Draft 2020-12 with ``pattern`` evaluated as ECMA-262 (see :func:`ecma_regex`)."""


class ConversionError(HttpError, ValueError):
    """A query string that is not a value of the declared type."""


def _to_integer(text: str) -> int:
    if not _INTEGER.fullmatch(text):
        raise ConversionError("must be an integer")
    return int(text)


def _to_number(text: str) -> float | int:
    if not _NUMBER.fullmatch(text):
        raise ConversionError("must be a number")
    value = float(text)
    if not math.isfinite(value):
        raise ConversionError("must be a finite number")
    return int(value) if _INTEGER.fullmatch(text) else value


def _to_boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise ConversionError("must be 'true' or 'false'")


def _to_string(text: str) -> str:
    return text


_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "integer": _to_integer,
    "number": _to_number,
    "boolean": _to_boolean,
    "string": _to_string,
}


def declared_type(schema: Mapping[str, Any]) -> str:
    """The scalar type a query string converts to (``string`` when the schema does not say)."""
    types = declared_types(schema)
    kind = scalar_type(schema) if types else None
    if types and kind is None:
        kind = "string"  # only "null"
    if kind is None and schema.get("enum"):
        values = schema["enum"]
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            kind = "integer"
    if kind not in _CONVERTERS:
        if kind in (None, "null"):
            return "string"
        raise ValueError(
            f"unsupported parameter type {kind!r}: only scalar parameters are supported"
        )
    return kind


def format_for_upstream(value: Any) -> str:
    """Render a validated value as the query string sent upstream."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class ParameterRule:
    """How one declared parameter is read, checked and forwarded."""

    name: str
    location: str
    required: bool
    upstream_name: str
    convert: Callable[[str], Any]
    validator: Any
    passes: ScalarCheck | None = None
    """A direct check of the schema (:mod:`harness.proxy.scalar_check`) when it covers it: a
    value it passes skips ``validator``."""

    @classmethod
    def compile(
        cls,
        name: str,
        location: str,
        required: bool,
        schema: Mapping[str, Any],
        upstream_name: str | None = None,
    ) -> ParameterRule:
        """Precompute the converter and validator for a parameter's schema."""
        Draft202012Validator.check_schema(schema)
        return cls(
            name=name,
            location=location,
            required=required,
            upstream_name=upstream_name or name,
            convert=_CONVERTERS[declared_type(schema)],
            validator=ECMAValidator(schema),
            passes=scalar_check(schema, ecma_regex),
        )

    def parse(self, text: str) -> Any:
        """Convert and validate one raw value, or raise a 400 :class:`ProxyError`."""
        if len(text) > MAX_VALUE_LENGTH:
            raise self._invalid(f"is longer than {MAX_VALUE_LENGTH} characters")
        try:
            value = self.convert(text)
        except ConversionError as exc:
            raise self._invalid(f"{exc}, got {shorten(repr(text), 60)}") from None
        self._validate(value)
        return value

    def check(self, value: Any) -> Any:
        """Validate one JSON argument (an MCP ``tools/call`` value), or raise a 400.

        The same schema, length limit and error as :meth:`parse`, without the string
        conversion: the value arrives typed. An integral float for an integer parameter is
        forwarded as an integer.
        """
        if value is None or not isinstance(value, str | int | float | bool):
            kind = "null" if value is None else type(value).__name__
            raise self._invalid(f"must be a string, number or boolean, got {kind}")
        if isinstance(value, str) and len(value) > MAX_VALUE_LENGTH:
            raise self._invalid(f"is longer than {MAX_VALUE_LENGTH} characters")
        self._validate(value)
        if self.convert is _to_integer and isinstance(value, float):
            return int(value)
        return value

    def _validate(self, value: Any) -> None:
        if self.passes is not None and self.passes(value):
            return
        if not self.validator.is_valid(value):
            error = best_match(self.validator.iter_errors(value))
            raise self._invalid(error.message if error else "is invalid")

    def _invalid(self, detail: str) -> ProxyError:
        return ProxyError(
            400,
            "invalid_parameter",
            f"Invalid value for parameter '{self.name}': {detail}.",
            parameter=self.name,
        )


@dataclass(frozen=True)
class RequestRules:
    """All parameter rules of one operation, split by location."""

    query: Mapping[str, ParameterRule]
    path: Mapping[str, ParameterRule]

    @classmethod
    def from_rules(cls, rules: Iterable[ParameterRule]) -> RequestRules:
        """Group rules by location; only ``query`` and ``path`` parameters are supported."""
        query: dict[str, ParameterRule] = {}
        path: dict[str, ParameterRule] = {}
        for rule in rules:
            if rule.location == "query":
                query[rule.name] = rule
            elif rule.location == "path":
                path[rule.name] = rule
            else:
                raise ValueError(
                    f"parameter {rule.name!r}: location {rule.location!r} is not supported "
                    "(only query and path)"
                )
        return cls(query=query, path=path)

    def parse(
        self, query_items: Iterable[tuple[str, str]], path_params: Mapping[str, str]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Return ``(query_values, path_values)`` for declared parameters, keyed by proxy name.

        Raises a 400 :class:`ProxyError` naming the first offending parameter.
        """
        query: dict[str, Any] = {}
        for name, text in query_items:
            rule = self.query.get(name)
            if rule is None:
                continue
            if name in query:
                raise rule._invalid("was given more than once")
            query[name] = rule.parse(text)
        path = {name: rule.parse(path_params[name]) for name, rule in self.path.items()}
        for name, rule in self.query.items():
            if rule.required and name not in query:
                raise ProxyError(
                    400,
                    "missing_parameter",
                    f"Missing required parameter '{name}'.",
                    parameter=name,
                )
        return query, path

    def parse_arguments(
        self, arguments: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
        """Return ``(query_values, path_values, ignored_names)`` for JSON arguments.

        The MCP counterpart of :meth:`parse`: the same rules and errors, applied to typed
        values; names the operation does not declare are ignored (and returned).
        """
        query: dict[str, Any] = {}
        path: dict[str, Any] = {}
        for name, value in arguments.items():
            rule = self.query.get(name) or self.path.get(name)
            if rule is not None:
                (path if rule.location == "path" else query)[name] = rule.check(value)
        for name, rule in (*self.path.items(), *self.query.items()):
            if rule.required and name not in query and name not in path:
                raise ProxyError(
                    400,
                    "missing_parameter",
                    f"Missing required parameter '{name}'.",
                    parameter=name,
                )
        ignored = sorted(set(arguments) - self.query.keys() - self.path.keys())
        return query, path, ignored
