"""`harness lint` and `harness diff`: the spec gate on the command line."""

from __future__ import annotations

from pathlib import Path

import click

from harness.spec.jsondoc import DocumentError
from harness.spec.load import DEFAULT_MANIFEST_PATH, DEFAULT_SPEC_PATH, DEFAULT_UPSTREAM_SPEC_PATH


@click.command()
@click.argument("spec", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.argument("manifest", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--upstream-spec",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_UPSTREAM_SPEC_PATH,
    show_default=True,
    help="The upstream OpenAPI spec the x-upstream mappings point into.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.option(
    "--junit",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write the findings as JUnit XML to this file.",
)
@click.option("--list-rules", is_flag=True, help="List the rule ids, severities and summaries.")
def lint(
    spec: Path | None,
    manifest: Path | None,
    upstream_spec: Path,
    output_format: str,
    junit: Path | None,
    list_rules: bool,
) -> None:
    """Lint SPEC (specs/openapi.json) and MANIFEST (specs/ai-plugin.json); exit 1 on errors.

    Rules are configured in pyproject.toml under [tool.harness.lint]
    (disable = [...], [tool.harness.lint.severity] rule-id = "warning").
    """
    from harness.spec.lint import LintConfigError, lint_files, load_config
    from harness.spec.rules import RULES

    if list_rules:
        for rule in RULES.values():
            click.echo(f"{rule.id:<26} {rule.severity:<8} {rule.summary}")
        return
    try:
        config = load_config()
        report = lint_files(
            spec or DEFAULT_SPEC_PATH, manifest or DEFAULT_MANIFEST_PATH, upstream_spec, config
        )
    except (LintConfigError, DocumentError) as error:
        raise click.UsageError(str(error)) from error
    click.echo(report.to_json() if output_format == "json" else report.to_text(), nl=False)
    if junit is not None:
        junit.write_text(report.to_junit(), encoding="utf-8")
    if report.errors:
        raise SystemExit(1)
