"""The rule catalogue (`harness lint --list-rules`): per rule its targets, severity, summary
and sources, grouped by target."""

from __future__ import annotations

import json
from collections.abc import Iterable

from harness.contract.rules import RULES, TARGETS, Rule


def rules_of(target: str) -> list[Rule]:
    """The rules that apply to ``target``, in registration order."""
    return [rule for rule in RULES.values() if target in rule.targets]


def catalogue_text(targets: Iterable[str] | None = None) -> str:
    """One section per target: its rule count, then each rule and its sources."""
    lines = []
    for target in targets or TARGETS:
        rules = rules_of(target)
        lines.append(f"== {target} ({len(rules)} rules) ==")
        for rule in rules:
            lines.append(f"{rule.id:<42} {rule.severity:<8} {rule.summary}")
            if rule.third_party_only:
                lines.append("    (a warning: its only sources are third-party reports)")
            lines += [f"    source: {source.label()}" for source in rule.sources]
    lines.append(f"{len(RULES)} rules")
    return "\n".join(lines) + "\n"


def catalogue_json(targets: Iterable[str] | None = None) -> str:
    """The catalogue as JSON: rules with targets and sources, and the rule ids per target."""
    chosen = list(targets or TARGETS)
    rules = [rule for rule in RULES.values() if set(rule.targets) & set(chosen)]
    return (
        json.dumps(
            {
                "rules": [
                    {
                        "id": rule.id,
                        "severity": rule.severity,
                        "targets": list(rule.targets),
                        "summary": rule.summary,
                        "hint": rule.hint,
                        "third_party_only": rule.third_party_only,
                        "sources": [source.to_dict() for source in rule.sources],
                    }
                    for rule in rules
                ],
                "targets": {target: [rule.id for rule in rules_of(target)] for target in chosen},
            },
            indent=2,
        )
        + "\n"
    )
