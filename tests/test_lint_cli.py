"""`harness lint` end to end: configuration, output formats, exit codes, the project's spec."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.spec.cli import lint
from harness.spec.lint import LintConfig, LintConfigError, lint_files, load_config, parse_config
from harness.spec.load import DEFAULT_MANIFEST_PATH, DEFAULT_SPEC_PATH, DEFAULT_UPSTREAM_SPEC_PATH

FIXTURES = Path(__file__).parent / "fixtures" / "lint"
UPSTREAM = FIXTURES / "upstream.yaml"


@pytest.fixture
def broken_manifest(tmp_path: Path) -> Path:
    manifest = json.loads((FIXTURES / "ai-plugin.json").read_text())
    manifest["description_for_model"] = "Search podcasts"
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
    assert output.strip().endswith("0 error(s), 0 warning(s) (22 rules)")


def test_error_exits_one_with_pointer_and_hint(broken_manifest: Path) -> None:
    code, output = invoke(FIXTURES / "openapi.json", broken_manifest, "--upstream-spec", UPSTREAM)
    assert code == 1
    assert "ai-plugin.json#/description_for_model: error [manifest-punctuation]" in output
    assert "fix: end the description with" in output


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
    assert finding["rule"] == "manifest-punctuation"
    assert finding["pointer"] == "/description_for_model"
    suite = ET.parse(junit).getroot()
    assert suite.get("tests") == "22"
    assert suite.get("failures") == "1"
    [failure] = suite.iter("failure")
    assert failure.get("type") == "manifest-punctuation"


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
    config = parse_config({"severity": {"manifest-punctuation": "warning"}}, "pyproject.toml")
    report = lint_files(FIXTURES / "openapi.json", broken_manifest, UPSTREAM, config)
    assert report.errors == [] and len(report.warnings) == 1
    config = parse_config({"disable": ["manifest-punctuation"]}, "pyproject.toml")
    report = lint_files(FIXTURES / "openapi.json", broken_manifest, UPSTREAM, config)
    assert report.findings == []
    assert "manifest-punctuation" not in report.rules_run


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"disable": ["no-such-rule"]}, "tool.harness.lint.disable[0]: unknown rule id"),
        ({"severity": {"no-such-rule": "warning"}}, "tool.harness.lint.severity.no-such-rule"),
        ({"severity": {"tool-count": "fatal"}}, "'fatal' is not one of"),
        ({"ignore": []}, "tool.harness.lint.ignore: unknown key"),
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
    assert config == LintConfig(frozenset({"tool-count"}), {"strict-schema": "error"})


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


@pytest.mark.skipif(
    not DEFAULT_UPSTREAM_SPEC_PATH.exists(), reason="upstream spec not beside the repository"
)
def test_project_spec_has_no_errors() -> None:
    report = lint_files(
        DEFAULT_SPEC_PATH, DEFAULT_MANIFEST_PATH, DEFAULT_UPSTREAM_SPEC_PATH, load_config()
    )
    assert report.errors == [], report.to_text()


def test_yaml_specs_are_accepted(tmp_path: Path) -> None:
    import yaml

    spec = tmp_path / "openapi.yaml"
    spec.write_text(yaml.safe_dump(json.loads((FIXTURES / "openapi.json").read_text())))
    shutil.copy(FIXTURES / "ai-plugin.json", tmp_path / "ai-plugin.json")
    report = lint_files(spec, tmp_path / "ai-plugin.json", UPSTREAM)
    assert report.findings == []
