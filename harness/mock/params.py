"""Query-string parsing with upstream-style 400 errors for invalid values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from harness.mock.errors import BadParameter

# Upstream stores integers as signed 64-bit values; a larger one is a bad parameter, not a crash.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class QueryParams:
    """Typed access to a request's query parameters (empty values count as absent)."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values

    def _raw(self, name: str) -> str | None:
        value = self._values.get(name)
        return value if value not in (None, "") else None

    def required_string(self, name: str) -> str:
        value = self._raw(name)
        if value is None or not value.strip():
            raise BadParameter(name, f"Missing required parameter: {name}")
        return value

    def string(self, name: str) -> str | None:
        value = self._raw(name)
        return value.strip() if value is not None else None

    def integer(
        self,
        name: str,
        default: int | None = None,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = int(raw.strip())
        except ValueError:
            raise BadParameter(name, f"Invalid value for {name}: expected an integer") from None
        if not INT64_MIN <= value <= INT64_MAX:
            raise BadParameter(name, f"Invalid value for {name}: out of the 64-bit integer range")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            bounds = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
            raise BadParameter(name, f"Invalid value for {name}: must be {bounds}")
        return value

    def flag(self, name: str) -> bool:
        """A 0/1 parameter."""
        raw = self._raw(name)
        if raw is None:
            return False
        if raw.strip() not in ("0", "1"):
            raise BadParameter(name, f"Invalid value for {name}: expected 0 or 1")
        return raw.strip() == "1"

    def choice(self, name: str, choices: Iterable[str], default: str) -> str:
        allowed = tuple(choices)
        value = self.string(name) or default
        if value not in allowed:
            raise BadParameter(name, f"Invalid value for {name}: expected one of {list(allowed)}")
        return value

    def integer_list(self, name: str) -> tuple[int, ...]:
        """A comma-delimited list of integers."""
        raw = self.string(name)
        if raw is None:
            return ()
        try:
            values = tuple(int(part) for part in raw.split(",") if part.strip())
        except ValueError:
            values = None
        if values is None or not all(INT64_MIN <= value <= INT64_MAX for value in values):
            raise BadParameter(name, f"Invalid value for {name}: expected comma-separated integers")
        return values

    def string_list(
        self, name: str, allowed: Iterable[str] | None = None, max_items: int | None = None
    ) -> tuple[str, ...]:
        """A comma-delimited list of strings, optionally restricted to `allowed` values."""
        raw = self.string(name)
        if raw is None:
            return ()
        items = tuple(part.strip() for part in raw.split(",") if part.strip())
        if allowed is not None:
            permitted = set(allowed)
            unknown = [item for item in items if item not in permitted]
            if unknown:
                expected = ", ".join(sorted(permitted))
                raise BadParameter(
                    name, f"Invalid value for {name}: {unknown[0]!r} (expected {expected})"
                )
        if max_items is not None and len(items) > max_items:
            raise BadParameter(name, f"Invalid value for {name}: at most {max_items} items")
        return items
