"""`harness lint` end to end: configuration, output formats, exit codes, the project's spec."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.contract.cli import lint
from harness.contract.lint import (
    LintConfigError,
    LintReport,
    lint_files,
    load_config,
    parse_config,
)
from harness.contract.load import (
    DEFAULT_MANIFEST_PATH,
    DEFAULT_SPEC_PATH,
    DEFAULT_UPSTREAM_SPEC_PATH,
)
from harness.contract.rules import RULES

FIXTURES = Path(__file__).parent / "fixtures" / "lint"
UPSTREAM = FIXTURES / "upstream.yaml"
DEFAULT_TARGETS = ("chatgpt-plugin", "gpt-actions", "mcp")
"""What the fixture files allow without [tool.harness.submission] (this repository has none)."""


def rules_of(*targets: str) -> list[str]:
    return [rule.id for rule in RULES.values() if set(rule.targets) & set(targets)]


@pytest.fixture
def broken_manifest(tmp_path: Path) -> Path:
    manifest = json.loads((FIXTURES / "ai-plugin.json").read_text())
    manifest["name_for_model"] = "podcast search"
    path = tmp_path / "ai-plugin.json"
    path.write_text(json.dumps(manifest))
    return path


def invoke(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(lint, [str(a) for a in args])
    return result.exit_code, result.output


def test_clean_files_exit_zero() -> None:
    code, output = invoke(
        FIXTURES / "openapi.json", FIXTURES / "ai-plugin.json", "--upstream-spec", UPSTREAM
    )
    assert code == 0, output
    count = len(rules_of(*DEFAULT_TARGETS))
    assert output.strip().endswith(f"0 error(s), 0 warning(s) ({count} rules)")
    for target in DEFAULT_TARGETS:
        assert f"== {target}: PASS (0 error(s), 0 warning(s), " in output
    assert "openai-apps" not in output


def test_error_exits_one_with_pointer_and_hint(broken_manifest: Path) -> None:
    code, output = invoke(FIXTURES / "openapi.json", broken_manifest, "--upstream-spec", UPSTREAM)
    assert code == 1
    assert "== chatgpt-plugin: FAIL (1 error(s), 0 warning(s), " in output
    assert "== mcp: PASS " in output
    assert "ai-plugin.json#/name_for_model: error [manifest-name-for-model]" in output
    assert "fix: use only letters, digits" in output


def test_final_punctuation_is_only_a_warning(tmp_path: Path) -> None:
    """Its only source is developers' reports, so it warns and the run passes."""
    manifest = json.loads((FIXTURES / "ai-plugin.json").read_text())
    manifest["description_for_model"] = "Search podcasts"
    path = tmp_path / "ai-plugin.json"
    path.write_text(json.dumps(manifest))
    code, output = invoke(FIXTURES / "openapi.json", path, "--upstream-spec", UPSTREAM)
    assert code == 0
    assert "ai-plugin.json#/description_for_model: warning [manifest-punctuation]" in output
    assert "chatgpt-plugin: PASS (0 error(s), 1 warning(s)" in output


def test_target_option_selects_the_rules(tmp_path: Path) -> None:
    code, output = invoke(
        FIXTURES / "openapi.json",
        FIXTURES / "ai-plugin.json",
        "--upstream-spec",
        UPSTREAM,
        "--target",
        "gpt-actions",
        "--target",
        "claude-directory",
        "--format",
        "json",
    )
    report = json.loads(output)
    assert list(report["targets"]) == ["gpt-actions", "claude-directory"]
    assert report["rules_run"] == rules_of("gpt-actions", "claude-directory")
    assert report["targets"]["gpt-actions"]["verdict"] == "pass"
    # No [tool.harness.submission] here: the directory's URLs are missing.
    assert report["targets"]["claude-directory"]["verdict"] == "fail"
    assert {f["rule"] for f in report["findings"]} == {"submission-urls"}
    assert {f["file"] for f in report["findings"]} == {"pyproject.toml"}
    assert code == 1


def test_unknown_target_is_a_usage_error() -> None:
    code, output = invoke(FIXTURES / "openapi.json", "--target", "plugins")
    assert code == 2
    assert "'plugins' is not one of" in output


def test_submission_table_allows_the_directory_targets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.harness.submission]\n"
        'privacy_url = "https://podcasts.example/privacy"\n'
        'terms_url = "https://podcasts.example/terms"\n'
        'support_url = "http://podcasts.example/support"\n'
    )
    monkeypatch.chdir(tmp_path)
    code, output = invoke(
        FIXTURES / "openapi.json", FIXTURES / "ai-plugin.json", "--upstream-spec", UPSTREAM
    )
    assert code == 1
    assert "== openai-apps: FAIL (1 error(s)" in output
    assert "== claude-directory: FAIL (1 error(s)" in output
    assert "pyproject.toml#/tool/harness/submission/support_url: error [submission-urls]" in output


def test_list_rules_groups_the_catalogue_by_target() -> None:
    code, output = invoke("--list-rules")
    assert code == 0
    for target in ("chatgpt-plugin", "gpt-actions", "mcp", "openai-apps", "claude-directory"):
        assert f"== {target} ({len(rules_of(target))} rules) ==" in output
    assert "source: [vendor] OpenAI: Production notes on GPT Actions" in output
    assert "(a warning: its only sources are third-party reports)" in output
    code, output = invoke("--list-rules", "--format", "json", "--target", "mcp")
    catalogue = json.loads(output)
    assert catalogue["targets"] == {"mcp": rules_of("mcp")}
    assert all(rule["sources"] for rule in catalogue["rules"])


def test_json_and_junit_outputs(broken_manifest: Path, tmp_path: Path) -> None:
    junit = tmp_path / "lint.xml"
    code, output = invoke(
        FIXTURES / "openapi.json",
        broken_manifest,
        "--upstream-spec",
        UPSTREAM,
        "--format",
        "json",
        "--junit",
        junit,
    )
    assert code == 1
    report = json.loads(output)
    assert report["errors"] == 1
    [finding] = report["findings"]
    assert finding["rule"] == "manifest-name-for-model"
    assert finding["pointer"] == "/name_for_model"
    assert finding["targets"] == ["chatgpt-plugin"]
    assert report["targets"]["chatgpt-plugin"]["verdict"] == "fail"
    assert report["targets"]["mcp"] == {
        "verdict": "pass",
        "errors": 0,
        "warnings": 0,
        "rules_run": rules_of("mcp"),
    }
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    suites = {suite.get("name"): suite for suite in root}
    assert list(suites) == [f"harness-lint.{target}" for target in DEFAULT_TARGETS]
    plugin = suites["harness-lint.chatgpt-plugin"]
    assert plugin.get("tests") == str(len(rules_of("chatgpt-plugin")))
    assert plugin.get("failures") == "1"
    assert root.get("failures") == "1"
    [failure] = root.iter("failure")
    assert failure.get("type") == "manifest-name-for-model"


def test_unparsable_spec_names_file_and_line(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.json"
    spec.write_text('{\n  "openapi": "3.1.0",\n  "paths": {,}\n}\n')
    report = lint_files(spec, FIXTURES / "ai-plugin.json", UPSTREAM)
    [finding] = report.errors
    assert finding.rule == "document-parse"
    assert "openapi.json:3:" in finding.message


def test_missing_upstream_spec_is_a_usage_error(tmp_path: Path) -> None:
    code, output = invoke(
        FIXTURES / "openapi.json", FIXTURES / "ai-plugin.json", "--upstream-spec", tmp_path / "x"
    )
    assert code == 2
    assert "cannot read" in output


def test_config_disables_and_downgrades_rules(broken_manifest: Path) -> None:
    config = parse_config({"severity": {"manifest-name-for-model": "warning"}}, "pyproject.toml")
    report = lint_files(FIXTURES / "openapi.json", broken_manifest, UPSTREAM, config)
    assert report.errors == [] and len(report.warnings) == 1
    config = parse_config({"disable": ["manifest-name-for-model"]}, "pyproject.toml")
    report = lint_files(FIXTURES / "openapi.json", broken_manifest, UPSTREAM, config)
    assert report.findings == []
    assert "manifest-name-for-model" not in report.rules_run


def test_config_targets_are_the_default(broken_manifest: Path) -> None:
    config = parse_config({"targets": ["mcp"]}, "pyproject.toml")
    report = lint_files(FIXTURES / "openapi.json", broken_manifest, UPSTREAM, config)
    assert report.targets == ("mcp",)
    assert report.findings == []


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"disable": ["no-such-rule"]}, "tool.harness.lint.disable[0]: unknown rule id"),
        ({"severity": {"no-such-rule": "warning"}}, "tool.harness.lint.severity.no-such-rule"),
        ({"severity": {"tool-count": "fatal"}}, "'fatal' is not one of"),
        ({"ignore": []}, "tool.harness.lint.ignore: unknown key"),
        ({"targets": ["gpts"]}, "tool.harness.lint.targets[0]: unknown target 'gpts'"),
    ],
)
def test_bad_config_names_the_key(table: dict, message: str) -> None:
    with pytest.raises(LintConfigError, match=re.escape(message)):
        parse_config(table, "pyproject.toml")


def test_config_is_found_from_the_working_directory_upward(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.harness.lint]\ndisable = ["tool-count"]\n'
        '[tool.harness.lint.severity]\nstrict-schema = "error"\n'
    )
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    config = load_config(nested)
    assert config.disabled == frozenset({"tool-count"})
    assert config.severity == {"strict-schema": "error"}
    assert config.submission == {}


def test_unknown_rule_in_pyproject_fails_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.harness.lint]\ndisable = ["nope"]\n')
    monkeypatch.chdir(tmp_path)
    code, output = invoke(
        FIXTURES / "openapi.json",
        FIXTURES / "ai-plugin.json",
        "--upstream-spec",
        UPSTREAM,
    )
    assert code == 2
    assert "disable[0]: unknown rule id 'nope'" in output


def test_project_config_is_valid() -> None:
    load_config(Path(__file__).parent)


ALL_TARGETS = ("chatgpt-plugin", "gpt-actions", "mcp", "openai-apps", "claude-directory")
SUBMISSION = {
    "privacy_url": "https://podcasts.example/privacy",
    "terms_url": "https://podcasts.example/terms",
    "support_url": "https://podcasts.example/support",
}
KNOWN_SHIPPED_VIOLATIONS = {
    # 357 characters; GPT Actions cap endpoint descriptions at 300. The text is model-visible,
    # so it changes together with re-recorded cassettes, not here.
    ("gpt-actions-description-length", "/paths/~1search_podcasts/get/description"),
}


def annotated_shipped_spec(tmp_path: Path) -> Path:
    """The shipped spec, with read-only x-tool metadata on operations that have none yet."""
    document = json.loads(DEFAULT_SPEC_PATH.read_text())
    for item in document["paths"].values():
        for method, operation in item.items():
            if method != "get" or "x-tool" in operation:
                continue
            operation["x-tool"] = {
                "title": operation["summary"].rstrip("."),
                "annotations": {
                    "readOnlyHint": {"value": True, "justification": "Only reads the directory."},
                    "destructiveHint": {"value": False, "justification": "Changes nothing."},
                    "idempotentHint": {"value": True, "justification": "No side effect."},
                    "openWorldHint": {"value": True, "justification": "Calls the upstream API."},
                },
            }
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(document))
    return path


def lint_shipped(tmp_path: Path) -> LintReport:
    config = replace(load_config(), submission=SUBMISSION)
    return lint_files(
        annotated_shipped_spec(tmp_path),
        DEFAULT_MANIFEST_PATH,
        DEFAULT_UPSTREAM_SPEC_PATH,
        config,
        targets=ALL_TARGETS,
    )


def test_shipped_spec_passes_every_target(tmp_path: Path) -> None:
    report = lint_shipped(tmp_path)
    assert report.errors == [], report.to_text()


def test_shipped_spec_has_no_other_violations(tmp_path: Path) -> None:
    report = lint_shipped(tmp_path)
    assert [v.target for v in report.verdicts()] == list(ALL_TARGETS)
    assert {(f.rule, f.pointer) for f in report.errors} <= KNOWN_SHIPPED_VIOLATIONS, (
        report.to_text()
    )


def test_yaml_specs_are_accepted(tmp_path: Path) -> None:
    import yaml

    spec = tmp_path / "openapi.yaml"
    spec.write_text(yaml.safe_dump(json.loads((FIXTURES / "openapi.json").read_text())))
    shutil.copy(FIXTURES / "ai-plugin.json", tmp_path / "ai-plugin.json")
    report = lint_files(spec, tmp_path / "ai-plugin.json", UPSTREAM)
    assert report.findings == []
