"""`harness cassettes check|status|prune`: keep recorded cassettes safe and current."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from harness.cassettes.scan import scan_paths
from harness.cassettes.scrub import secrets_from_env
from harness.cassettes.status import remove_cassettes, suite_status, unused_cassettes
from harness.eval.runner import RunConfig, RunError
from harness.eval.suite import SuiteError, load_suite
from harness.spec.load import DEFAULT_MANIFEST_PATH, DEFAULT_SPEC_PATH, SpecError

DEFAULT_CASSETTES = Path("cassettes")


@click.group()
def cassettes() -> None:
    """Check recorded cassettes for secrets, list stale ones, prune unused ones."""


@cassettes.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--secret",
    "extra_secrets",
    multiple=True,
    help="A literal value that must not appear (repeatable; values of *KEY*/*SECRET*/*TOKEN* "
    "environment variables are always looked for).",
)
def check(paths: tuple[Path, ...], extra_secrets: tuple[str, ...]) -> None:
    """Scan cassette files (default: cassettes/) for secrets; exit 1 naming each file:line."""
    try:
        findings = scan_paths(paths or (DEFAULT_CASSETTES,), [*extra_secrets, *secrets_from_env()])
    except FileNotFoundError as error:
        raise click.ClickException(str(error)) from None
    for finding in findings:
        click.echo(str(finding))
    if findings:
        click.echo(f"{len(findings)} secret-looking value(s) found", err=True)
        sys.exit(1)
    click.echo("no secrets found")


@cassettes.command()
@click.option(
    "--suite", type=click.Path(path_type=Path), default=Path("prompts"), show_default=True
)
@click.option(
    "--cassettes",
    "root",
    type=click.Path(path_type=Path),
    default=DEFAULT_CASSETTES,
    show_default=True,
)
@click.option("--spec", type=click.Path(path_type=Path), default=DEFAULT_SPEC_PATH)
@click.option("--manifest", type=click.Path(path_type=Path), default=DEFAULT_MANIFEST_PATH)
@click.option(
    "--backend", type=click.Choice(["local", "openai"]), default="local", show_default=True
)
@click.option("--model", help="Model name for --backend openai.")
@click.option("--base-url", help="OpenAI-compatible base URL, as given to `harness eval`.")
@click.option("--temperature", type=float, default=0.0, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--tool-choice",
    type=click.Choice(["auto", "required", "none"]),
    default="auto",
    show_default=True,
)
@click.option("--strict", is_flag=True, help="Strict function schemas, as given to `harness eval`.")
@click.option("--case", "case_ids", multiple=True, help="Only this case id (repeatable).")
@click.option("--tag", "tags", multiple=True, help="Only cases with this tag (repeatable).")
@click.option("--check", "fail_unless_fresh", is_flag=True, help="Exit 1 unless all are fresh.")
def status(
    suite: Path,
    root: Path,
    spec: Path,
    manifest: Path,
    backend: str,
    model: str | None,
    base_url: str | None,
    temperature: float,
    seed: int,
    tool_choice: str,
    strict: bool,
    case_ids: tuple[str, ...],
    tags: tuple[str, ...],
    fail_unless_fresh: bool,
) -> None:
    """List each case as fresh, stale (with the reason) or missing, for one model.

    Give the same model options as to `harness eval`: the check sends the request eval
    would send through a replay-only cassette.
    """
    config = RunConfig(
        suite=suite,
        spec=spec,
        manifest=manifest,
        backend=backend,
        model=model,
        base_url=base_url,
        temperature=temperature,
        seed=seed,
        tool_choice=tool_choice,
        strict=strict,
        cassettes=root,
        case_ids=case_ids,
        tags=tags,
    )
    try:
        statuses = asyncio.run(suite_status(config))
    except (RunError, SuiteError, SpecError) as error:
        raise click.ClickException(str(error)) from None
    for entry in statuses:
        repeats = f"repeats {','.join(map(str, entry.repeats))}" if entry.repeats else ""
        line = f"{entry.state:<8} {entry.case_id}  {repeats}".rstrip()
        click.echo(f"{line}  ({entry.reason})" if entry.reason else line)
    counts = {
        state: sum(e.state == state for e in statuses) for state in ("fresh", "stale", "missing")
    }
    click.echo(", ".join(f"{count} {state}" for state, count in counts.items()))
    if fail_unless_fresh and counts["fresh"] != len(statuses):
        sys.exit(1)


@cassettes.command()
@click.option(
    "--suite", type=click.Path(path_type=Path), default=Path("prompts"), show_default=True
)
@click.option(
    "--cassettes",
    "root",
    type=click.Path(path_type=Path),
    default=DEFAULT_CASSETTES,
    show_default=True,
)
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
def prune(suite: Path, root: Path, dry_run: bool) -> None:
    """Remove cassettes of cases that are no longer in the suite (for every model)."""
    try:
        case_ids = [case.id for case in load_suite(suite).cases]
    except SuiteError as error:
        raise click.ClickException(str(error)) from None
    unused = unused_cassettes(root, case_ids)
    for path in unused:
        click.echo(f"{'would remove' if dry_run else 'removed'} {path}")
    if not dry_run:
        remove_cassettes(unused, root)
    click.echo(f"{len(unused)} unused cassette(s){' (dry run)' if dry_run else ''}")
