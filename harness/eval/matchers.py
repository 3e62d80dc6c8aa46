"""Acceptable-value matchers for expected tool-call arguments.

A suite lists, per argument, the values it accepts. Each entry becomes a matcher: a plain
literal (compared with BFCL's normalisation and type-aware number rules) or a typed matcher
written as a one-key mapping (``{iequals: ...}``, ``{regex: ...}``, ``{range: [1, 10]}``...).
Matchers are told the parameter's JSON schema when the spec is known, so that enum values,
integer parameters and numeric strings are compared the way the API reads them.
The rules are documented in ``docs/prompt-suite.md``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any, Protocol

from harness.contract.jsondoc import scalar_type
from harness.errors import InputError

Schema = Mapping[str, Any] | None
Accepts = Callable[[Any], bool]

TOLERANCE_UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
# ASCII digits and blanks only: the suite schema says the same in ECMA regex, which reads
# \s and \d unlike Python.
TOLERANCE_PATTERN = re.compile(r"^[ \t]*([0-9]+)[ \t]*(ms|s|m|h|d)[ \t]*$")
DEFAULT_TIMESTAMP_TOLERANCE = "1d"
MATCHER_KEYS = (
    "iequals",
    "exact",
    "contains",
    "one_of",
    "range",
    "timestamp",
    "regex",
    "csv",
    "any",
)


class MatcherError(InputError):
    """A matcher definition in the suite is malformed."""


class Matcher(Protocol):
    """One acceptable value (or family of values) for an argument."""

    def matches(self, value: Any, schema: Schema = None) -> bool:
        """Whether ``value`` (as the model sent it) is acceptable."""
        ...

    def describe(self) -> str:
        """Short human form used in failure reasons, e.g. ``'English'``."""
        ...

    def example(self) -> Any:
        """A canonical value this matcher accepts (used by the oracle test)."""
        ...


# Double quotation marks make a phrase search (`"game of thrones"`): they are kept, in one form.
PHRASE_QUOTES = str.maketrans(dict.fromkeys("“”„‟«»", '"'))


def _dropped(ch: str) -> bool:
    """Whitespace and punctuation, except the double quote."""
    return ch != '"' and (ch.isspace() or unicodedata.category(ch).startswith("P"))


# For ASCII text NFKC changes nothing, casefold is lower() and no typographic quote occurs, so
# one translate() with this table gives the same result as the general path.
_ASCII_DROPPED = str.maketrans(dict.fromkeys(ch for ch in map(chr, range(128)) if _dropped(ch)))


def normalize_text(text: str) -> str:
    """BFCL-style normalisation: NFKC, casefold, drop whitespace and punctuation, except the
    double quotes that mark a phrase (typographic ones count as ``"``)."""
    if text.isascii():
        return text.lower().translate(_ASCII_DROPPED)
    folded = unicodedata.normalize("NFKC", text).casefold().translate(PHRASE_QUOTES)
    return "".join(ch for ch in folded if not _dropped(ch))


def is_number(value: Any) -> bool:
    """True for int and float, false for bool (which Python counts as int)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_number(value: Any, coerce_strings: bool) -> int | float | None:
    """``value`` as a finite number, parsing numeric strings only when ``coerce_strings``."""
    if is_number(value):
        return value if math.isfinite(value) else None
    if coerce_strings and isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def is_integral(number: int | float) -> bool:
    """True for ints and for floats with no fractional part (``10.0``)."""
    return isinstance(number, int) or number.is_integer()


def _numeric_type(schema: Schema, expected: Any) -> str | None:
    """The parameter type for number rules: the spec's, else inferred from the expectation."""
    declared = scalar_type(schema) if schema else None
    if declared is not None:
        return declared
    if isinstance(expected, int):
        return "integer"
    if isinstance(expected, float):
        return "number"
    return None


def _render(value: Any) -> str:
    return repr(value)


@dataclass(frozen=True)
class Equals:
    """A plain literal: BFCL normalisation for strings, type-aware numbers, exact booleans."""

    value: str | int | float | bool

    @cached_property
    def _normalized(self) -> str:
        """The expected string normalised once, not per comparison."""
        return normalize_text(self.value)

    @cached_property
    def _folded(self) -> str:
        """The expected string as enum values are compared."""
        return self.value.strip().casefold()

    def matches(self, value: Any, schema: Schema = None) -> bool:
        return self.predicate(schema)(value)

    def predicate(self, schema: Schema) -> Accepts:
        """The rules for one parameter schema, chosen once: booleans exactly; numbers by the
        parameter's type (numeric strings read where it is numeric, no fraction for an
        integer); enum strings by case-folded equality, other strings by
        :func:`normalize_text`. A value identical to the literal (same type, not a float)
        is accepted at once: every rule accepts it."""
        expected = self.value
        if isinstance(expected, bool):
            return lambda value: value is expected
        if is_number(expected):
            return _number_predicate(expected, _numeric_type(schema, expected))
        if schema and "enum" in schema:
            folded = self._folded
            return lambda value: (
                isinstance(value, str) and (value == expected or value.strip().casefold() == folded)
            )
        normalized = self._normalized
        return lambda value: (
            isinstance(value, str) and (value == expected or normalize_text(value) == normalized)
        )

    def describe(self) -> str:
        return _render(self.value)

    def example(self) -> Any:
        return self.value


@dataclass(frozen=True)
class IEquals:
    """Case-insensitive string equality; whitespace at the ends ignored, punctuation kept."""

    value: str

    @cached_property
    def _folded(self) -> str:
        return self.value.casefold()

    def matches(self, value: Any, schema: Schema = None) -> bool:
        return isinstance(value, str) and value.strip().casefold() == self._folded

    def describe(self) -> str:
        return _render(self.value)

    def example(self) -> Any:
        return self.value


@dataclass(frozen=True)
class Exact:
    """Verbatim string equality: no normalisation at all."""

    value: str

    def matches(self, value: Any, schema: Schema = None) -> bool:
        return isinstance(value, str) and value == self.value

    def describe(self) -> str:
        return f"exactly {self.value!r}"

    def example(self) -> Any:
        return self.value


@dataclass(frozen=True)
class Contains:
    """The normalised string contains the normalised fragment (``startup`` in ``startup tips``)."""

    fragment: str
    sample: str | None = None

    @cached_property
    def _normalized(self) -> str:
        return normalize_text(self.fragment)

    def matches(self, value: Any, schema: Schema = None) -> bool:
        return isinstance(value, str) and self._normalized in normalize_text(value)

    def describe(self) -> str:
        return f"containing {self.fragment!r}"

    def example(self) -> Any:
        return self.sample if self.sample is not None else self.fragment


@dataclass(frozen=True)
class OneOf:
    """Any of several matchers (the same as listing them as separate acceptable values)."""

    options: tuple[Matcher, ...]

    def matches(self, value: Any, schema: Schema = None) -> bool:
        return any(option.matches(value, schema) for option in self.options)

    def describe(self) -> str:
        return "one of " + ", ".join(option.describe() for option in self.options)

    def example(self) -> Any:
        return self.options[0].example()


@dataclass(frozen=True)
class Range:
    """A number within ``[low, high]`` (inclusive; ``None`` leaves an end open)."""

    low: int | float | None
    high: int | float | None
    sample: int | float | None = None

    def matches(self, value: Any, schema: Schema = None) -> bool:
        number = as_number(value, coerce_strings=True)
        if number is None:
            return False
        if (scalar_type(schema) if schema else None) == "integer" and not is_integral(number):
            return False
        if self.low is not None and number < self.low:
            return False
        return self.high is None or number <= self.high

    def describe(self) -> str:
        low = "-inf" if self.low is None else self.low
        high = "inf" if self.high is None else self.high
        return f"a number in [{low}, {high}]"

    def example(self) -> Any:
        if self.sample is not None:
            return self.sample
        return self.low if self.low is not None else self.high


@dataclass(frozen=True)
class Timestamp:
    """Milliseconds since the epoch within ``tolerance_ms`` of an instant."""

    instant: str
    epoch_ms: int
    tolerance: str
    tolerance_ms: int

    def matches(self, value: Any, schema: Schema = None) -> bool:
        number = as_number(value, coerce_strings=True)
        if number is None or not is_integral(number):
            return False
        return abs(int(number) - self.epoch_ms) <= self.tolerance_ms

    def describe(self) -> str:
        return f"{self.instant} ({self.epoch_ms} ms) ±{self.tolerance}"

    def example(self) -> Any:
        return self.epoch_ms


@dataclass(frozen=True)
class Regex:
    """The string form of the value fully matches a regular expression."""

    pattern: re.Pattern[str]
    sample: Any

    def matches(self, value: Any, schema: Schema = None) -> bool:
        if not isinstance(value, str) and not is_number(value):
            return False
        return self.pattern.fullmatch(str(value)) is not None

    def describe(self) -> str:
        return f"matching /{self.pattern.pattern}/"

    def example(self) -> Any:
        return self.sample


@dataclass(frozen=True)
class CommaSet:
    """A comma-separated list holding exactly these items, in any order (``"93,127"``)."""

    items: tuple[str, ...]

    @cached_property
    def _normalized(self) -> list[str]:
        return sorted(normalize_text(item) for item in self.items)

    def matches(self, value: Any, schema: Schema = None) -> bool:
        if is_number(value):
            value = str(value)
        if not isinstance(value, str):
            return False
        given = sorted(normalize_text(part) for part in value.split(",") if part.strip())
        return given == self._normalized

    def describe(self) -> str:
        return f"the list {','.join(self.items)!r} in any order"

    def example(self) -> Any:
        return ",".join(self.items)


@dataclass(frozen=True)
class AnyValue:
    """Any value at all, as long as the argument is present."""

    sample: Any

    def matches(self, value: Any, schema: Schema = None) -> bool:
        return True

    def describe(self) -> str:
        return "any value"

    def example(self) -> Any:
        return self.sample


def compile_matcher(matcher: Matcher, schema: Schema) -> Accepts:
    """``matcher.matches(value, schema)`` as a one-argument predicate, for scoring many values
    against one parameter: a literal is normalised once and its rules chosen once, here."""
    if isinstance(matcher, Equals):
        return matcher.predicate(schema)
    if isinstance(matcher, OneOf):
        options = tuple(compile_matcher(option, schema) for option in matcher.options)
        return lambda value: any(option(value) for option in options)
    return lambda value: matcher.matches(value, schema)


def _number_predicate(expected: int | float, kind: str | None) -> Accepts:
    """The number rules of :meth:`Equals.predicate` with the parameter type ``kind`` fixed."""
    coerce = kind in ("integer", "number")
    integral_only = kind == "integer" or isinstance(expected, int)
    exact_type = type(expected) if isinstance(expected, int) else None

    def accepts(value: Any) -> bool:
        if type(value) is exact_type:
            return value == expected
        if isinstance(value, bool):
            return False
        number = as_number(value, coerce_strings=coerce)
        if number is None or (integral_only and not is_integral(number)):
            return False
        return number == expected

    return accepts


def parse_tolerance(text: str | int) -> int:
    """A tolerance like ``"1d"``, ``"12h"``, ``"30m"``, ``"90s"`` or integer ms -> ms."""
    if isinstance(text, int) and not isinstance(text, bool) and text >= 0:
        return text
    match = TOLERANCE_PATTERN.match(text) if isinstance(text, str) else None
    if match is None:
        raise MatcherError(f"tolerance {text!r} is not like '1d', '12h', '30m', '90s' or ms")
    return int(match.group(1)) * TOLERANCE_UNITS_MS[match.group(2)]


def parse_instant(text: str) -> int:
    """An ISO date or date-time (UTC unless it says otherwise) -> milliseconds since epoch."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        try:
            moment = datetime.combine(date.fromisoformat(text), datetime.min.time())
        except (TypeError, ValueError):
            raise MatcherError(f"timestamp {text!r} is not an ISO date or date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def parse_matcher(definition: Any) -> Matcher:
    """Build a matcher from one acceptable value as written in the suite.

    Raises MatcherError when the definition is malformed or its ``example`` is not accepted.
    """
    matcher = _build_matcher(definition)
    example = definition.get("example") if isinstance(definition, Mapping) else None
    if example is not None and not matcher.matches(example):
        raise MatcherError(f"example {example!r} is not {matcher.describe()}")
    return matcher


def _build_matcher(definition: Any) -> Matcher:
    if not isinstance(definition, Mapping):
        if isinstance(definition, str | int | float | bool):
            return Equals(definition)
        raise MatcherError(f"unsupported acceptable value {definition!r}")
    kinds = [key for key in MATCHER_KEYS if key in definition]
    if len(kinds) != 1:
        raise MatcherError(f"a matcher needs exactly one of {', '.join(MATCHER_KEYS)}")
    kind = kinds[0]
    argument = definition[kind]
    sample = definition.get("example")
    if kind == "iequals":
        return IEquals(argument)
    if kind == "exact":
        return Exact(argument)
    if kind == "contains":
        return Contains(argument, sample)
    if kind == "one_of":
        return OneOf(tuple(parse_matcher(option) for option in argument))
    if kind == "range":
        low, high = argument
        if low is None and high is None:
            raise MatcherError("range needs at least one bound")
        if low is not None and high is not None and low > high:
            raise MatcherError(f"range [{low}, {high}] is empty")
        return Range(low, high, sample)
    if kind == "timestamp":
        tolerance = definition.get("tolerance", DEFAULT_TIMESTAMP_TOLERANCE)
        return Timestamp(
            argument, parse_instant(argument), str(tolerance), parse_tolerance(tolerance)
        )
    if kind == "regex":
        try:
            pattern = re.compile(argument)
        except re.error as error:
            raise MatcherError(f"invalid regex {argument!r}: {error}") from None
        return Regex(pattern, sample)
    if kind == "csv":
        return CommaSet(tuple(argument))
    return AnyValue(sample)
