"""The spec gate's rules; importing this package registers all of them in `RULES`."""

from harness.spec.rules import manifest, openapi, tools, upstream
from harness.spec.rules.base import RULES, Issue, LintInput, Rule, Severity

__all__ = [
    "RULES",
    "Issue",
    "LintInput",
    "Rule",
    "Severity",
    "manifest",
    "openapi",
    "tools",
    "upstream",
]
