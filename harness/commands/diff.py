"""`harness diff`: classify spec changes, and name the prompt cases they touch.

It composes the spec diff with the eval suite, so it lives above both.
"""

from __future__ import annotations

from pathlib import Path

import click

from harness.contract.load import DEFAULT_MANIFEST_PATH, DEFAULT_SPEC_PATH
from harness.errors import CHECK_FAILED, command_errors
from harness.formats import FormatChoice


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
    from harness.contract.diff import diff_sources
    from harness.contract.diff_report import DiffReport
    from harness.eval.suite import SuiteError, load_suite

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
    case_operations = None if loaded is None else {c.id: c.operations for c in loaded.cases}
    with command_errors(as_usage=True):
        changes = diff_sources(old, new, manifests, case_operations)
    report = DiffReport(changes, old, new, str(suite or "prompts") if loaded else None, notes)
    rendered = {"json": report.to_json, "markdown": report.to_markdown, "text": report.to_text}
    click.echo(rendered[output_format](), nl=False)
    if report.breaking and not allow_breaking:
        raise SystemExit(CHECK_FAILED)
