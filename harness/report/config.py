"""The `[tool.harness.gate]` and `[tool.harness.pricing]` sections of pyproject.toml."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from harness.pyproject import PYPROJECT, find_pyproject
from harness.report.load import ReportError


class ConfigError(ReportError):
    """A bad `[tool.harness.gate]` or `[tool.harness.pricing]` entry."""


def harness_section(name: str, path: Path | None = None) -> tuple[dict[str, Any], str]:
    """``[tool.harness.<name>]`` from ``path`` (default: found from cwd upward) and its label.

    The label (``file [tool.harness.name]``) prefixes error messages. Missing file or section
    gives an empty table.
    """
    path = path if path is not None else find_pyproject()
    label = f"{path or PYPROJECT} [tool.harness.{name}]"
    if path is None:
        return {}, label
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    section = document.get("tool", {}).get("harness", {}).get(name, {})
    if not isinstance(section, dict):
        raise ConfigError(f"{label}: expected a table")
    return section, label


@dataclass(frozen=True)
class GateConfig:
    """Thresholds of the regression gate (see docs/reports.md for their meaning)."""

    min_pass_rate: float = 0.0
    min_operation_pass_rate: float | dict[str, float] = 0.0
    critical_tag: str = "critical"
    max_significant_regression: float = 0.0
    alpha: float = 0.05
    max_error_rate: float = 0.0

    @classmethod
    def from_pyproject(cls, path: Path | str | None = None) -> GateConfig:
        """Read ``[tool.harness.gate]``; an unknown key or a bad value raises ConfigError."""
        section, label = harness_section("gate", Path(path) if path is not None else None)
        return cls.from_mapping(section, label)

    @classmethod
    def from_mapping(cls, values: dict[str, Any], label: str = "[tool.harness.gate]") -> GateConfig:
        """Validate a gate table; errors name ``label`` and the offending key."""
        known = {f.name for f in fields(cls)}
        for key in values:
            if key not in known:
                raise ConfigError(
                    f"{label}: unknown key {key!r} (known: {', '.join(sorted(known))})"
                )
        checked: dict[str, Any] = {}
        for key in ("min_pass_rate", "max_significant_regression", "max_error_rate"):
            if key in values:
                checked[key] = _fraction(values[key], f"{label} {key}", upper_inclusive=True)
        if "alpha" in values:
            checked["alpha"] = _fraction(values["alpha"], f"{label} alpha", upper_inclusive=False)
        if "critical_tag" in values:
            if not isinstance(values["critical_tag"], str) or not values["critical_tag"]:
                raise ConfigError(f"{label} critical_tag: expected a non-empty string")
            checked["critical_tag"] = values["critical_tag"]
        if "min_operation_pass_rate" in values:
            checked["min_operation_pass_rate"] = _operation_rates(
                values["min_operation_pass_rate"], f"{label} min_operation_pass_rate"
            )
        return cls(**checked)

    @property
    def vacuous(self) -> bool:
        """True when no pass-rate threshold is set (every minimum is 0.0)."""
        rates = self.min_operation_pass_rate
        per_operation = rates.values() if isinstance(rates, dict) else [rates]
        return self.min_pass_rate == 0.0 and not any(per_operation)

    def to_toml(self) -> str:
        """This configuration as a ``[tool.harness.gate]`` table to paste into pyproject.toml."""
        rates = self.min_operation_pass_rate
        if isinstance(rates, dict):
            inline = ", ".join(
                f"{_toml_key(name)} = {rate:g}" for name, rate in sorted(rates.items())
            )
            operation_rates = f"{{{inline}}}"
        else:
            operation_rates = f"{rates:g}"
        return (
            "[tool.harness.gate]\n"
            f"min_pass_rate = {self.min_pass_rate:g}\n"
            f"min_operation_pass_rate = {operation_rates}\n"
            f'critical_tag = "{self.critical_tag}"\n'
            f"max_significant_regression = {self.max_significant_regression:g}\n"
            f"alpha = {self.alpha:g}\n"
            f"max_error_rate = {self.max_error_rate:g}\n"
        )

    def operation_threshold(self, operation: str) -> float:
        """The minimum pass rate that applies to ``operation`` (0.0 when none is set)."""
        if isinstance(self.min_operation_pass_rate, dict):
            return self.min_operation_pass_rate.get(operation, 0.0)
        return self.min_operation_pass_rate


def _toml_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name)


def _fraction(value: Any, where: str, *, upper_inclusive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: expected a number between 0 and 1, got {value!r}")
    if not (0 <= value <= 1 if upper_inclusive else 0 < value < 1):
        raise ConfigError(f"{where}: {value!r} is outside the range 0..1")
    return float(value)


def _operation_rates(value: Any, where: str) -> float | dict[str, float]:
    if isinstance(value, dict):
        return {
            operation: _fraction(rate, f"{where}.{operation}", upper_inclusive=True)
            for operation, rate in value.items()
        }
    return _fraction(value, where, upper_inclusive=True)


def load_pricing(path: Path | str | None = None) -> dict[str, dict[str, float]]:
    """``[tool.harness.pricing]``: model -> {prompt, completion} in US$ per million tokens."""
    section, label = harness_section("pricing", Path(path) if path is not None else None)
    pricing = {}
    for model, price in section.items():
        if not isinstance(price, dict) or set(price) != {"prompt", "completion"}:
            raise ConfigError(f"{label} {model}: expected {{prompt = $/1M, completion = $/1M}}")
        for kind, amount in price.items():
            if isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0:
                raise ConfigError(f"{label} {model}.{kind}: expected a non-negative number")
        pricing[model] = {kind: float(amount) for kind, amount in price.items()}
    return pricing
