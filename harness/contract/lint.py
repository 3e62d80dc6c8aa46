"""The spec gate: run the lint rules over a spec, its manifest and the upstream spec.

```python
from harness.contract.lint import lint_files, load_config
report = lint_files("specs/openapi.json", "specs/ai-plugin.json", upstream, load_config(),
                    targets=("gpt-actions", "mcp"))
report.errors, report.findings, report.verdicts(), report.to_json(), report.to_text()
```

Every rule applies to one or more targets (where the tools ship: `chatgpt-plugin`,
`gpt-actions`, `mcp`, `openai-apps`, `claude-directory`). Without targets, a run checks every
target the given files allow; the report groups findings by target with a verdict per target.
"""

from __future__ import annotations

import json
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.contract.jsondoc import DocumentError, read_document
from harness.contract.load import load_upstream_spec
from harness.contract.rules import RULES, TARGETS, Issue, LintInput, Rule, Severity
from harness.contract.rules.tool_metadata import SUBMISSION_URLS
from harness.errors import InputError
from harness.pyproject import find_pyproject
from harness.submission_config import SubmissionConfigError, load_submission_config

PARSE_RULE = "document-parse"
SEVERITIES: tuple[Severity, ...] = ("error", "warning")


class LintConfigError(InputError):
    """Invalid `[tool.harness.lint]` configuration; the message names the file and key."""


@dataclass(frozen=True)
class LintConfig:
    """Which rules run and at which severity."""

    disabled: frozenset[str] = frozenset()
    severity: dict[str, Severity] = field(default_factory=dict)
    targets: tuple[str, ...] = ()
    """Targets checked when none are asked for (empty: every target the files allow)."""
    submission: dict[str, str] = field(default_factory=dict)
    """The URLs of `[tool.harness.submission]`."""
    source: str = "pyproject.toml"

    def rules(self, targets: Iterable[str] | None = None) -> list[Rule]:
        """The enabled rules of ``targets`` (default: all), in registration order."""
        wanted = set(TARGETS if targets is None else targets)
        return [
            rule
            for rule_id, rule in RULES.items()
            if rule_id not in self.disabled and wanted & set(rule.targets)
        ]

    def severity_of(self, rule: Rule) -> Severity:
        """The configured severity of a rule, else its default."""
        return self.severity.get(rule.id, rule.severity)


def parse_config(table: dict[str, Any], source: str) -> LintConfig:
    """Validate a `[tool.harness.lint]` table; unknown keys and rule ids are errors."""
    prefix = f"{source}: tool.harness.lint"
    unknown_keys = set(table) - {"disable", "severity", "targets"}
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
    targets = table.get("targets", [])
    if not isinstance(targets, list) or not all(isinstance(item, str) for item in targets):
        raise LintConfigError(f"{prefix}.targets: expected a list of target names")
    for index, target in enumerate(targets):
        if target not in TARGETS:
            raise LintConfigError(
                f"{prefix}.targets[{index}]: unknown target {target!r} (one of {list(TARGETS)})"
            )
    return LintConfig(frozenset(disable), dict(severity), tuple(targets), source=source)


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
    config = parse_config(table, str(path))
    try:
        submission = load_submission_config(path)
    except SubmissionConfigError as error:
        raise LintConfigError(str(error)) from error
    return replace(config, submission=dict(submission.urls))


@dataclass(frozen=True)
class LintFinding:
    """One lint result: rule, severity, file, JSON pointer, message and a one-line fix hint."""

    rule: str
    severity: Severity
    file: str
    pointer: str
    message: str
    hint: str
    targets: tuple[str, ...] = TARGETS

    @property
    def location(self) -> str:
        """`file#pointer`, the form editors and reviewers can follow."""
        return f"{self.file}#{self.pointer}"


@dataclass(frozen=True)
class TargetVerdict:
    """One target's result: passed when none of its findings is an error."""

    target: str
    errors: int
    warnings: int
    rules_run: list[str]

    @property
    def passed(self) -> bool:
        """No error among the target's findings."""
        return self.errors == 0

    def line(self) -> str:
        """`target: PASS|FAIL (N error(s), M warning(s), K rules)`."""
        verdict = "PASS" if self.passed else "FAIL"
        return (
            f"{self.target}: {verdict} ({self.errors} error(s), {self.warnings} warning(s), "
            f"{len(self.rules_run)} rules)"
        )


@dataclass(frozen=True)
class LintReport:
    """Every finding of one run, the rules that ran and the targets checked."""

    findings: list[LintFinding]
    rules_run: list[str]
    targets: tuple[str, ...] = TARGETS

    @property
    def errors(self) -> list[LintFinding]:
        """Findings of severity error (any one fails the gate)."""
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[LintFinding]:
        """Findings of severity warning."""
        return [f for f in self.findings if f.severity == "warning"]

    def findings_for(self, target: str) -> list[LintFinding]:
        """The findings that concern ``target``."""
        return [f for f in self.findings if target in f.targets]

    def verdicts(self) -> list[TargetVerdict]:
        """One verdict per checked target, in catalogue order."""
        verdicts = []
        for target in self.targets:
            found = self.findings_for(target)
            ran = [rule_id for rule_id in self.rules_run if target in RULES[rule_id].targets]
            errors = sum(1 for f in found if f.severity == "error")
            verdicts.append(TargetVerdict(target, errors, len(found) - errors, ran))
        return verdicts

    def summary(self) -> str:
        """`N errors, M warnings (K rules)`."""
        return (
            f"{len(self.errors)} error(s), {len(self.warnings)} warning(s) "
            f"({len(self.rules_run)} rules)"
        )

    def to_text(self) -> str:
        """Per target: its verdict line, then one block per finding; the summary line last."""
        lines = []
        for verdict in self.verdicts():
            lines.append(f"== {verdict.line()} ==")
            for finding in self.findings_for(verdict.target):
                lines.append(
                    f"{finding.location}: {finding.severity} [{finding.rule}] {finding.message}"
                )
                lines.append(f"    fix: {finding.hint}")
        lines.append(self.summary())
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        """The findings, counts and per-target verdicts as a JSON document."""
        return json.dumps(
            {
                "findings": [asdict(finding) for finding in self.findings],
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "rules_run": self.rules_run,
                "targets": {
                    verdict.target: {
                        "verdict": "pass" if verdict.passed else "fail",
                        "errors": verdict.errors,
                        "warnings": verdict.warnings,
                        "rules_run": verdict.rules_run,
                    }
                    for verdict in self.verdicts()
                },
            },
            indent=2,
        )

    def to_junit(self) -> str:
        """JUnit XML: one test suite per target; a passing test case per clean rule, a test
        case per finding. Errors are failures; warnings pass with the finding in system-out."""
        root = ET.Element("testsuites", name="harness-lint")
        for verdict in self.verdicts():
            found = self.findings_for(verdict.target)
            suite = ET.SubElement(
                root,
                "testsuite",
                name=f"harness-lint.{verdict.target}",
                tests="0",
                failures=str(verdict.errors),
                errors="0",
                skipped="0",
            )
            flagged = {finding.rule for finding in found}
            classname = f"harness.lint.{verdict.target}"
            for rule_id in verdict.rules_run:
                if rule_id not in flagged:
                    ET.SubElement(suite, "testcase", classname=classname, name=rule_id)
            for finding in found:
                case = ET.SubElement(
                    suite,
                    "testcase",
                    classname=f"{classname}.{finding.rule}",
                    name=finding.location,
                )
                body = f"{finding.message}\nfix: {finding.hint}"
                if finding.severity == "error":
                    failure = ET.SubElement(
                        case, "failure", message=finding.message, type=finding.rule
                    )
                    failure.text = body
                else:
                    ET.SubElement(case, "system-out").text = f"warning: {body}"
            suite.set("tests", str(len(suite)))
        root.set("tests", str(sum(int(suite.get("tests", "0")) for suite in root)))
        root.set("failures", str(sum(int(suite.get("failures", "0")) for suite in root)))
        ET.indent(root)
        return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def run_rules(
    lint_input: LintInput,
    files: dict[str, str],
    config: LintConfig,
    targets: Iterable[str] | None = None,
) -> tuple[list[LintFinding], list[str]]:
    """Run every enabled rule of ``targets`` (default all) whose documents are present.

    `files` names each document; a finding lists the checked targets its rule applies to.
    """
    checked = tuple(TARGETS if targets is None else targets)
    available = {
        name
        for name, document in (
            ("spec", lint_input.spec),
            ("manifest", lint_input.manifest),
            ("upstream", lint_input.upstream),
        )
        if document is not None
    }
    findings: list[LintFinding] = []
    ran: list[str] = []
    for rule in config.rules(checked):
        if not set(rule.needs) <= available:
            continue
        ran.append(rule.id)
        try:
            issues = list(rule.check(lint_input))
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            # A document malformed in a way no earlier rule caught; report, do not crash.
            message = f"could not run this rule on the document: {error!r}"
            document = rule.needs[0] if rule.needs else "config"
            issues = [Issue(document, "", message)]  # type: ignore[arg-type]
        scope = tuple(target for target in checked if target in rule.targets)
        findings += _findings(rule, issues, files, config.severity_of(rule), scope)
    return findings, ran


def _findings(
    rule: Rule,
    issues: Iterable[Issue],
    files: dict[str, str],
    severity: Severity,
    targets: tuple[str, ...],
) -> list[LintFinding]:
    return [
        LintFinding(
            rule.id,
            severity,
            files.get(i.document, i.document),
            i.pointer,
            i.message,
            i.hint or rule.hint,
            targets,
        )
        for i in issues
    ]


def allowed_targets(
    spec_given: bool, manifest: dict[str, Any] | None, submission: dict[str, str]
) -> tuple[str, ...]:
    """The targets the given files allow: the manifest's, the spec's, and the directories'
    when the submission's URLs are configured (in the manifest or `[tool.harness.submission]`).
    """
    allowed = set()
    if manifest is not None:
        allowed.add("chatgpt-plugin")
    if spec_given:
        allowed |= {"gpt-actions", "mcp"}
        manifest_keys = {key for key, _ in SUBMISSION_URLS.values()}
        if submission or manifest_keys & set(manifest or {}):
            allowed |= {"openai-apps", "claude-directory"}
    return tuple(target for target in TARGETS if target in allowed)


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
    targets: Iterable[str] | None = None,
) -> LintReport:
    """Lint the given files for ``targets`` (default: the configured ones, else every target
    the files allow). An unparsable spec or manifest is a `document-parse` error.

    The upstream spec is required input rather than a subject: when it cannot be read this
    raises `DocumentError`.
    """
    config = config or LintConfig()
    upstream = load_upstream_spec(upstream_path) if upstream_path is not None else None
    documents: dict[str, Any] = {}
    files: dict[str, str] = {}
    parse_findings: list[LintFinding] = []
    for name, path in (("spec", spec_path), ("manifest", manifest_path)):
        if path is None:
            continue
        files[name] = _display(path)
        try:
            documents[name] = read_document(path)
        except DocumentError as error:
            parse_findings.append(
                LintFinding(
                    PARSE_RULE, "error", files[name], "", str(error), "fix the syntax error"
                )
            )
            continue
        if not isinstance(documents[name], dict):
            parse_findings.append(
                LintFinding(
                    PARSE_RULE,
                    "error",
                    files[name],
                    "",
                    "the document is not a JSON object",
                    "the top level must be an object",
                )
            )
            del documents[name]
    files["config"] = _display(config.source)
    lint_input = LintInput(
        documents.get("spec"), documents.get("manifest"), upstream, config.submission or None
    )
    chosen = tuple(targets or config.targets) or allowed_targets(
        spec_path is not None,
        documents.get("manifest", {} if manifest_path is not None else None),
        config.submission,
    )
    chosen = tuple(target for target in TARGETS if target in chosen)
    findings, ran = run_rules(lint_input, files, config, chosen)
    parse_findings = [replace(finding, targets=chosen) for finding in parse_findings]
    return LintReport(parse_findings + findings, ran, chosen)
