"""The spec gate: run the lint rules over a spec, its manifest and the upstream spec.

```python
from harness.spec.lint import lint_files, load_config
report = lint_files("specs/openapi.json", "specs/ai-plugin.json", upstream, load_config())
report.errors, report.findings, report.to_json(), report.to_text(), report.to_junit()
```
"""

from __future__ import annotations

import json
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.spec.jsondoc import DocumentError, read_document
from harness.spec.load import load_upstream_spec
from harness.spec.rules import RULES, Issue, LintInput, Rule, Severity

PARSE_RULE = "document-parse"
SEVERITIES: tuple[Severity, ...] = ("error", "warning")


class LintConfigError(ValueError):
    """Invalid `[tool.harness.lint]` configuration; the message names the file and key."""


@dataclass(frozen=True)
class LintConfig:
    """Which rules run and at which severity."""

    disabled: frozenset[str] = frozenset()
    severity: dict[str, Severity] = field(default_factory=dict)

    def rules(self) -> list[Rule]:
        """The enabled rules, in registration order."""
        return [rule for rule_id, rule in RULES.items() if rule_id not in self.disabled]

    def severity_of(self, rule: Rule) -> Severity:
        """The configured severity of a rule, else its default."""
        return self.severity.get(rule.id, rule.severity)


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start`."""
    for directory in (start.resolve(), *start.resolve().parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def parse_config(table: dict[str, Any], source: str) -> LintConfig:
    """Validate a `[tool.harness.lint]` table; unknown keys and rule ids are errors."""
    prefix = f"{source}: tool.harness.lint"
    unknown_keys = set(table) - {"disable", "severity"}
    if unknown_keys:
        raise LintConfigError(f"{prefix}.{sorted(unknown_keys)[0]}: unknown key")
    disable = table.get("disable", [])
    if not isinstance(disable, list) or not all(isinstance(item, str) for item in disable):
        raise LintConfigError(f"{prefix}.disable: expected a list of rule ids")
    for index, rule_id in enumerate(disable):
        if rule_id not in RULES:
            raise LintConfigError(f"{prefix}.disable[{index}]: unknown rule id {rule_id!r}")
    severity = table.get("severity", {})
    if not isinstance(severity, dict):
        raise LintConfigError(f"{prefix}.severity: expected a table of rule-id = severity")
    for rule_id, level in severity.items():
        if rule_id not in RULES:
            raise LintConfigError(f"{prefix}.severity.{rule_id}: unknown rule id {rule_id!r}")
        if level not in SEVERITIES:
            raise LintConfigError(
                f"{prefix}.severity.{rule_id}: {level!r} is not one of {list(SEVERITIES)}"
            )
    return LintConfig(frozenset(disable), dict(severity))


def load_config(start: Path | None = None) -> LintConfig:
    """The lint configuration from the pyproject.toml found from `start` (cwd) upward."""
    path = find_pyproject(start or Path.cwd())
    if path is None:
        return LintConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise LintConfigError(f"{path}: invalid TOML: {error}") from error
    table = data.get("tool", {}).get("harness", {}).get("lint", {})
    return parse_config(table, str(path))


@dataclass(frozen=True)
class Finding:
    """One lint result: rule, severity, file, JSON pointer, message and a one-line fix hint."""

    rule: str
    severity: Severity
    file: str
    pointer: str
    message: str
    hint: str

    @property
    def location(self) -> str:
        """`file#pointer`, the form editors and reviewers can follow."""
        return f"{self.file}#{self.pointer}"


@dataclass(frozen=True)
class LintReport:
    """Every finding of one run and the rules that ran."""

    findings: list[Finding]
    rules_run: list[str]

    @property
    def errors(self) -> list[Finding]:
        """Findings of severity error (any one fails the gate)."""
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        """Findings of severity warning."""
        return [f for f in self.findings if f.severity == "warning"]

    def summary(self) -> str:
        """`N errors, M warnings (K rules)`."""
        return (
            f"{len(self.errors)} error(s), {len(self.warnings)} warning(s) "
            f"({len(self.rules_run)} rules)"
        )

    def to_text(self) -> str:
        """One block per finding, then the summary line."""
        lines = []
        for finding in self.findings:
            lines.append(
                f"{finding.location}: {finding.severity} [{finding.rule}] {finding.message}"
            )
            lines.append(f"    fix: {finding.hint}")
        lines.append(self.summary())
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        """The findings and counts as a JSON document."""
        return json.dumps(
            {
                "findings": [asdict(finding) for finding in self.findings],
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "rules_run": self.rules_run,
            },
            indent=2,
        )

    def to_junit(self) -> str:
        """JUnit XML: a passing test case per clean rule, a test case per finding.

        Errors are failures; warnings pass with the finding in their system-out.
        """
        suite = ET.Element(
            "testsuite",
            name="harness-lint",
            tests="0",
            failures=str(len(self.errors)),
            errors="0",
            skipped="0",
        )
        flagged = {finding.rule for finding in self.findings}
        for rule_id in self.rules_run:
            if rule_id not in flagged:
                ET.SubElement(suite, "testcase", classname="harness.lint", name=rule_id)
        for finding in self.findings:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"harness.lint.{finding.rule}",
                name=finding.location,
            )
            body = f"{finding.message}\nfix: {finding.hint}"
            if finding.severity == "error":
                failure = ET.SubElement(case, "failure", message=finding.message, type=finding.rule)
                failure.text = body
            else:
                ET.SubElement(case, "system-out").text = f"warning: {body}"
        suite.set("tests", str(len(suite)))
        ET.indent(suite)
        return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def run_rules(
    lint_input: LintInput, files: dict[str, str], config: LintConfig
) -> tuple[list[Finding], list[str]]:
    """Run every enabled rule whose documents are present; `files` names each document."""
    available = {
        name
        for name, document in (
            ("spec", lint_input.spec),
            ("manifest", lint_input.manifest),
            ("upstream", lint_input.upstream),
        )
        if document is not None
    }
    findings: list[Finding] = []
    ran: list[str] = []
    for rule in config.rules():
        if not set(rule.needs) <= available:
            continue
        ran.append(rule.id)
        try:
            issues = list(rule.check(lint_input))
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            # A document malformed in a way no earlier rule caught; report, do not crash.
            message = f"could not run this rule on the document: {error!r}"
            issues = [Issue(rule.needs[0], "", message)]  # type: ignore[arg-type]
        findings += _findings(rule, issues, files, config.severity_of(rule))
    return findings, ran


def _findings(
    rule: Rule, issues: Iterable[Issue], files: dict[str, str], severity: Severity
) -> list[Finding]:
    return [
        Finding(rule.id, severity, files[i.document], i.pointer, i.message, i.hint or rule.hint)
        for i in issues
    ]


def _display(path: str | Path) -> str:
    """The path relative to the working directory when it is under it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def lint_files(
    spec_path: str | Path | None,
    manifest_path: str | Path | None,
    upstream_path: str | Path | None,
    config: LintConfig | None = None,
) -> LintReport:
    """Lint the given files. An unparsable spec or manifest is a `document-parse` error.

    The upstream spec is required input rather than a subject: when it cannot be read this
    raises `DocumentError`.
    """
    config = config or LintConfig()
    upstream = load_upstream_spec(upstream_path) if upstream_path is not None else None
    documents: dict[str, Any] = {}
    files: dict[str, str] = {}
    parse_findings: list[Finding] = []
    for name, path in (("spec", spec_path), ("manifest", manifest_path)):
        if path is None:
            continue
        files[name] = _display(path)
        try:
            documents[name] = read_document(path)
        except DocumentError as error:
            parse_findings.append(
                Finding(PARSE_RULE, "error", files[name], "", str(error), "fix the syntax error")
            )
            continue
        if not isinstance(documents[name], dict):
            parse_findings.append(
                Finding(
                    PARSE_RULE,
                    "error",
                    files[name],
                    "",
                    "the document is not a JSON object",
                    "the top level must be an object",
                )
            )
            del documents[name]
    lint_input = LintInput(documents.get("spec"), documents.get("manifest"), upstream)
    findings, ran = run_rules(lint_input, files, config)
    return LintReport(parse_findings + findings, ran)
