"""The spec gate's rules; importing this package registers all of them in `RULES`."""

from harness.spec.rules import (
    gpt_actions,
    limits,
    manifest,
    openapi,
    tool_metadata,
    tools,
    upstream,
)
from harness.spec.rules.base import RULES, TARGETS, Issue, LintInput, Rule, Severity

__all__ = [
    "RULES",
    "TARGETS",
    "Issue",
    "LintInput",
    "Rule",
    "Severity",
    "gpt_actions",
    "limits",
    "manifest",
    "openapi",
    "tool_metadata",
    "tools",
    "upstream",
]
