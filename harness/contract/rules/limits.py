"""The simple limits, as data: one row per cap, so a changed limit is a one-line edit.

Each row caps the length of one field (of the manifest, of every operation or of every
parameter) or the number of operations. Rows sharing a rule id form one rule; the rule's
severity, targets and sources are in ``LIMIT_RULES``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from harness.contract.jsondoc import join, pointer
from harness.contract.operation_walk import iter_operations, operation_parameters
from harness.contract.rules.base import (
    ALL_TARGETS,
    Issue,
    LintInput,
    Rule,
    Severity,
    register_rule,
)
from harness.contract.rules.sources import (
    GPT_ACTIONS,
    GPT_ACTIONS_OPERATION_COUNT,
    HARNESS_TOOLS,
    OPENAI_FUNCTIONS,
    PLUGIN_MANIFEST,
    Source,
)

Scope = Literal["manifest", "operation", "parameter", "operations"]


@dataclass(frozen=True)
class Limit:
    """At most ``maximum`` characters of ``field`` in ``scope`` (``operations``: a count)."""

    rule: str
    scope: Scope
    field: str
    maximum: int


# fmt: off
LIMITS: tuple[Limit, ...] = (
    #      rule id                                     scope         field                    max
    Limit("manifest-lengths",                         "manifest",   "name_for_human",         20),
    Limit("manifest-lengths",                         "manifest",   "description_for_human", 100),
    Limit("manifest-lengths",                         "manifest",   "description_for_model", 8000),
    Limit("description-length",                       "operation",  "description",           1024),
    Limit("description-length",                       "parameter",  "description",           1024),
    Limit("tool-count",                               "operations", "",                      128),
    Limit("gpt-actions-description-length",           "operation",  "summary",               300),
    Limit("gpt-actions-description-length",           "operation",  "description",           300),
    Limit("gpt-actions-parameter-description-length", "parameter",  "description",           700),
    Limit("gpt-actions-operation-count",              "operations", "",                      30),
)
# fmt: on


@dataclass(frozen=True)
class LimitRule:
    """What a group of limits is: severity, targets, sources and a summary."""

    id: str
    severity: Severity
    targets: tuple[str, ...]
    sources: tuple[Source, ...]
    summary: str


LIMIT_RULES: tuple[LimitRule, ...] = (
    LimitRule(
        "manifest-lengths",
        "error",
        ("chatgpt-plugin",),
        (PLUGIN_MANIFEST,),
        "Names and descriptions stay within the manifest's length limits.",
    ),
    LimitRule(
        "description-length",
        "error",
        ("chatgpt-plugin", "mcp", "openai-apps", "claude-directory"),
        (HARNESS_TOOLS,),
        "Operation and parameter descriptions fit the function-description caps.",
    ),
    LimitRule(
        "tool-count",
        "error",
        ALL_TARGETS,
        (OPENAI_FUNCTIONS,),
        "The spec has at most 128 operations (the tool count cap).",
    ),
    LimitRule(
        "gpt-actions-description-length",
        "error",
        ("gpt-actions",),
        (GPT_ACTIONS,),
        "Endpoint summaries and descriptions have at most 300 characters (GPT Actions).",
    ),
    LimitRule(
        "gpt-actions-parameter-description-length",
        "error",
        ("gpt-actions",),
        (GPT_ACTIONS,),
        "Parameter descriptions have at most 700 characters (GPT Actions).",
    ),
    LimitRule(
        "gpt-actions-operation-count",
        "warning",
        ("gpt-actions",),
        (GPT_ACTIONS_OPERATION_COUNT,),
        "An action has at most 30 operations (reported by builders; a warning).",
    ),
)


def limits_of(rule_id: str) -> tuple[Limit, ...]:
    """The rows of ``LIMITS`` that make up rule ``rule_id``."""
    return tuple(limit for limit in LIMITS if limit.rule == rule_id)


def _hint(limits: tuple[Limit, ...]) -> str:
    caps = ", ".join(
        f"at most {limit.maximum} operations"
        if limit.scope == "operations"
        else f"{limit.scope} {limit.field} <= {limit.maximum}"
        for limit in limits
    )
    if limits[0].scope == "operations":
        return f"expose {caps}; merge or drop some"
    return f"shorten it: {caps} characters"


def _check(limits: tuple[Limit, ...]) -> Callable[[LintInput], Iterator[Issue]]:
    def check(lint: LintInput) -> Iterator[Issue]:
        seen: set[str] = set()
        for limit in limits:
            for issue in _over(lint, limit):
                if issue.pointer not in seen:
                    seen.add(issue.pointer)
                    yield issue

    return check


def _over(lint: LintInput, limit: Limit) -> Iterator[Issue]:
    """Issues for every value over ``limit``."""
    if limit.scope == "manifest":
        text = (lint.manifest or {}).get(limit.field)
        if isinstance(text, str) and len(text) > limit.maximum:
            yield Issue(
                "manifest",
                pointer(limit.field),
                f"{limit.field} has {len(text)} characters (cap {limit.maximum})",
            )
        return
    spec = lint.spec or {}
    operations = list(iter_operations(spec))
    if limit.scope == "operations":
        if len(operations) > limit.maximum:
            yield Issue(
                "spec",
                "/paths",
                f"{len(operations)} operations exceed the cap of {limit.maximum} tools",
            )
        return
    for operation in operations:
        if limit.scope == "operation":
            text = operation.node.get(limit.field)
            if isinstance(text, str) and len(text) > limit.maximum:
                yield Issue(
                    "spec",
                    join(operation.pointer, limit.field),
                    f"{operation.label}: {limit.field} has {len(text)} characters "
                    f"(cap {limit.maximum})",
                )
            continue
        for parameter in operation_parameters(spec, operation):
            text = parameter.node.get(limit.field)
            if isinstance(text, str) and len(text) > limit.maximum:
                yield Issue(
                    "spec",
                    join(parameter.pointer, limit.field),
                    f"{operation.label}: parameter {parameter.name!r} {limit.field} has "
                    f"{len(text)} characters (cap {limit.maximum})",
                )


def _register() -> None:
    for spec in LIMIT_RULES:
        limits = limits_of(spec.id)
        needs = ("manifest",) if limits[0].scope == "manifest" else ("spec",)
        register_rule(
            Rule(
                spec.id,
                spec.severity,
                needs,
                _hint(limits),
                spec.summary,
                _check(limits),
                spec.targets,
                spec.sources,
            )
        )


_register()
