"""`harness lint`: the spec gate on the command line (`harness diff`: harness.commands.diff)."""

from __future__ import annotations

from pathlib import Path

import click

from harness.contract.load import (
    DEFAULT_MANIFEST_PATH,
    DEFAULT_SPEC_PATH,
    DEFAULT_UPSTREAM_SPEC_PATH,
)
from harness.contract.rules.base import TARGETS
from harness.errors import CHECK_FAILED, command_errors


@click.command()
@click.argument("spec", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.argument("manifest", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--spec",
    "spec_option",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"The spec to lint, like SPEC [default: {DEFAULT_SPEC_PATH}].",
)
@click.option(
    "--manifest",
    "manifest_option",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"The manifest to lint, like MANIFEST [default: {DEFAULT_MANIFEST_PATH}].",
)
@click.option(
    "--upstream-spec",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_UPSTREAM_SPEC_PATH,
    show_default="the bundled PodcastAPI v2 spec",
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
@click.option(
    "--target",
    "targets",
    multiple=True,
    type=click.Choice(TARGETS),
    help="Check the rules of this target (repeatable) [default: every target the files allow].",
)
@click.option(
    "--list-rules",
    is_flag=True,
    help="List the rule catalogue: id, severity, targets, summary and sources.",
)
def lint(
    spec: Path | None,
    manifest: Path | None,
    spec_option: Path | None,
    manifest_option: Path | None,
    upstream_spec: Path,
    output_format: str,
    junit: Path | None,
    targets: tuple[str, ...],
    list_rules: bool,
) -> None:
    """Lint SPEC (specs/openapi.json) and MANIFEST (specs/ai-plugin.json); exit 1 on errors,
    2 on bad configuration or an unreadable file. --spec/--manifest name them as other
    commands do.

    Rules are configured in pyproject.toml under [tool.harness.lint]
    (disable = [...], targets = [...], [tool.harness.lint.severity] rule-id = "warning");
    the directories' privacy/terms/support URLs under [tool.harness.submission].
    """
    from harness.contract.catalogue import catalogue_json, catalogue_text
    from harness.contract.lint import lint_files, load_config

    spec = _one_of(spec, spec_option, "SPEC", "--spec")
    manifest = _one_of(manifest, manifest_option, "MANIFEST", "--manifest")
    if list_rules:
        chosen = targets or None
        text = catalogue_json(chosen) if output_format == "json" else catalogue_text(chosen)
        click.echo(text, nl=False)
        return
    spec, manifest = spec or DEFAULT_SPEC_PATH, manifest or DEFAULT_MANIFEST_PATH
    for path in (spec, manifest):
        if not path.is_file():
            raise click.UsageError(
                f"{path}: no such file (relative paths start from the working directory)"
            )
    with command_errors(as_usage=True):
        config = load_config()
        report = lint_files(spec, manifest, upstream_spec, config, targets=targets or None)
    click.echo(report.to_json() if output_format == "json" else report.to_text(), nl=False)
    if junit is not None:
        junit.write_text(report.to_junit(), encoding="utf-8")
    if report.errors:
        raise SystemExit(CHECK_FAILED)


def _one_of(positional: Path | None, option: Path | None, name: str, flag: str) -> Path | None:
    if positional is not None and option is not None:
        raise click.UsageError(f"give {name} or {flag}, not both")
    return positional if positional is not None else option
