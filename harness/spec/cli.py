"""`harness lint` and `harness diff`: the spec gate on the command line."""

from __future__ import annotations

from pathlib import Path

import click

from harness.formats import FormatChoice
from harness.spec.jsondoc import DocumentError
from harness.spec.load import DEFAULT_MANIFEST_PATH, DEFAULT_SPEC_PATH, DEFAULT_UPSTREAM_SPEC_PATH
from harness.spec.rules.base import TARGETS


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
    from harness.spec.catalogue import catalogue_json, catalogue_text
    from harness.spec.lint import LintConfigError, lint_files, load_config

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
    try:
        config = load_config()
        report = lint_files(spec, manifest, upstream_spec, config, targets=targets or None)
    except (LintConfigError, DocumentError) as error:
        raise click.UsageError(str(error)) from error
    click.echo(report.to_json() if output_format == "json" else report.to_text(), nl=False)
    if junit is not None:
        junit.write_text(report.to_junit(), encoding="utf-8")
    if report.errors:
        raise SystemExit(1)


def _one_of(positional: Path | None, option: Path | None, name: str, flag: str) -> Path | None:
    if positional is not None and option is not None:
        raise click.UsageError(f"give {name} or {flag}, not both")
    return positional if positional is not None else option


def _relative_to_repo(path: Path) -> str:
    """`path` relative to the git work tree root, as `git show REF:path` wants it."""
    import subprocess

    top = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
    ).stdout.strip()
    try:
        return path.resolve().relative_to(Path(top).resolve()).as_posix() if top else str(path)
    except ValueError:
        return str(path)


@click.command()
@click.argument("old", required=False)
@click.argument("new", required=False)
@click.option(
    "--base", metavar="REF", help="Compare REF's specs/ (e.g. origin/main) with the work tree."
)
@click.option(
    "--manifests",
    nargs=2,
    metavar="OLD NEW",
    help="Also diff two manifests (paths or REF:path); implied by --base.",
)
@click.option(
    "--suite",
    type=click.Path(path_type=Path),
    default=None,
    help="Prompt suite whose cases prompt-affecting changes touch [default: prompts/].",
)
@click.option(
    "--format",
    "output_format",
    type=FormatChoice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="Output format (md is accepted for markdown).",
)
@click.option("--allow-breaking", is_flag=True, help="Exit 0 even when changes are breaking.")
def diff(
    old: str | None,
    new: str | None,
    base: str | None,
    manifests: tuple[str, str] | None,
    suite: Path | None,
    output_format: str,
    allow_breaking: bool,
) -> None:
    """Classify the changes from OLD to NEW spec (paths or REF:path); exit 1 if any breaks.

    With --base REF, OLD and NEW default to REF's and the work tree's specs/openapi.json
    (and specs/ai-plugin.json).
    """
    from harness.eval.suite import SuiteError, load_suite
    from harness.spec.diff import diff_sources
    from harness.spec.diff_report import DiffReport

    if base is not None:
        old = old or f"{base}:{_relative_to_repo(DEFAULT_SPEC_PATH)}"
        new = new or str(DEFAULT_SPEC_PATH)
        manifests = manifests or (
            f"{base}:{_relative_to_repo(DEFAULT_MANIFEST_PATH)}",
            str(DEFAULT_MANIFEST_PATH),
        )
    if old is None or new is None:
        raise click.UsageError("give OLD and NEW, or --base REF")
    notes: list[str] = []
    loaded = None
    try:
        loaded = load_suite(suite or Path("prompts"))
    except SuiteError as error:
        if suite is not None:
            raise click.UsageError(str(error)) from error
        notes.append(f"suite not loaded ({error}); affected cases are not listed")
    try:
        changes = diff_sources(old, new, manifests, loaded)
    except DocumentError as error:
        raise click.UsageError(str(error)) from error
    report = DiffReport(changes, old, new, str(suite or "prompts") if loaded else None, notes)
    rendered = {"json": report.to_json, "markdown": report.to_markdown, "text": report.to_text}
    click.echo(rendered[output_format](), nl=False)
    if report.breaking and not allow_breaking:
        raise SystemExit(1)
