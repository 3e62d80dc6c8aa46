"""The rule catalogue: every rule names targets and sources; third-party-only rules warn."""

from __future__ import annotations

from dataclasses import replace

import pytest

from harness.contract.rules import RULES, TARGETS
from harness.contract.rules.base import Rule, register_rule
from harness.contract.rules.limits import LIMITS, limits_of
from harness.contract.rules.sources import PLUGIN_REVIEW_LORE, Source


@pytest.mark.parametrize("rule", list(RULES.values()), ids=list(RULES))
def test_rule_names_targets_severity_and_sources(rule: Rule) -> None:
    assert rule.targets and set(rule.targets) <= set(TARGETS)
    assert rule.severity in ("error", "warning")
    assert rule.sources
    for source in rule.sources:
        assert source.url is None or source.url.startswith(("https://", "docs/"))
        assert source.verified or source.note, f"{rule.id}: say why {source.title} is unverified"
        if source.kind == "third-party":
            assert not source.verified or source.url


@pytest.mark.parametrize("rule", list(RULES.values()), ids=list(RULES))
def test_third_party_only_rules_are_warnings(rule: Rule) -> None:
    if rule.third_party_only:
        assert rule.severity == "warning"


def test_an_error_resting_on_third_party_reports_is_refused() -> None:
    check = RULES["manifest-punctuation"].check
    rule = Rule("x-rule", "error", ("manifest",), "fix", "x", check, ("chatgpt-plugin",))
    with pytest.raises(ValueError, match="no source"):
        register_rule(rule)
    with pytest.raises(ValueError, match="only third-party sources is a warning"):
        register_rule(replace(rule, sources=(PLUGIN_REVIEW_LORE,)))
    assert "x-rule" not in RULES


def test_unknown_target_is_refused() -> None:
    source = Source("x", "https://example.com", "vendor")
    check = RULES["manifest-punctuation"].check
    with pytest.raises(ValueError, match="unknown or no targets"):
        register_rule(Rule("x-rule", "error", (), "fix", "x", check, ("plugins",), (source,)))
    assert "x-rule" not in RULES


def test_every_target_has_rules() -> None:
    for target in TARGETS:
        assert any(target in rule.targets for rule in RULES.values())


def test_limits_are_the_rules_caps() -> None:
    """A row of LIMITS is what its rule enforces and what its hint says."""
    assert {limit.rule for limit in LIMITS} <= set(RULES)
    for limit in LIMITS:
        assert str(limit.maximum) in RULES[limit.rule].hint
    gpt = {
        (lim.scope, lim.field): lim.maximum for lim in limits_of("gpt-actions-description-length")
    }
    assert gpt == {("operation", "summary"): 300, ("operation", "description"): 300}
    [parameter] = limits_of("gpt-actions-parameter-description-length")
    assert parameter.maximum == 700
