"""The spec gate's rules; importing this package registers all of them in `RULES`."""

from harness.contract.rules import (
    function_tools,
    gpt_actions,
    limits,
    manifest,
    openapi,
    tool_metadata,
    upstream,
)
from harness.contract.rules.base import RULES, TARGETS, Issue, LintInput, Rule, Severity

__all__ = [
    "RULES",
    "TARGETS",
    "Issue",
    "LintInput",
    "Rule",
    "Severity",
    "function_tools",
    "gpt_actions",
    "limits",
    "manifest",
    "openapi",
    "tool_metadata",
    "upstream",
]
