"""`harness cassettes check|status|prune`: keep recorded cassettes safe and current."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import click

from harness.cassettes.scan import cassette_files, scan_files
from harness.cassettes.status import remove_cassettes, unused_cassettes
from harness.errors import CHECK_FAILED, HARNESS_ERROR, command_errors
from harness.eval.cassette_status import suite_status
from harness.eval.options import cassettes_option, selection_options, suite_option
from harness.eval.runner import RunConfig
from harness.eval.suite import load_suite
from harness.secrets import secrets_from_env

DEFAULT_CASSETTES = Path("cassettes")


@click.group()
def cassettes() -> None:
    """Check recorded cassettes for secrets, list stale ones, prune unused ones.

    Exit codes: 0 ok, 1 the check failed (secrets found; with `status --check`, a case not
    fresh), 2 bad input (suite, spec, manifest or options).
    """


@cassettes.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--secret",
    "extra_secrets",
    multiple=True,
    help="A literal value that must not appear (repeatable), matched as a whole token: "
    "'foo' is found in 'x=foo&' or 'foo.bar', not in 'football'. Also found percent-encoded, "
    "JSON-escaped and base64-encoded. Values of *KEY*/*SECRET*/*TOKEN*/*PASSWORD* environment "
    "variables are always looked for, anywhere.",
)
@click.option(
    "--substring",
    is_flag=True,
    help="Match --secret values anywhere, also inside longer words.",
)
def check(paths: tuple[Path, ...], extra_secrets: tuple[str, ...], substring: bool) -> None:
    """Scan cassette files (default: cassettes/) for secrets, also inside decoded bodies
    (gzip, !!binary, JSON, percent-encoding). Exit 1 naming each file:line of a finding,
    2 when a path or file cannot be read or parsed."""
    secrets = [*secrets_from_env(), *(extra_secrets if substring else ())]
    tokens = () if substring else extra_secrets
    with command_errors():
        files = cassette_files(paths or (DEFAULT_CASSETTES,))
    findings, errors = scan_files(files, secrets, tokens=tokens)
    for finding in findings:
        click.echo(str(finding))
    for error in errors:
        click.echo(f"error: {error}", err=True)
    if findings:
        click.echo(f"{len(findings)} secret-looking value(s) found", err=True)
    if errors:
        sys.exit(HARNESS_ERROR)
    if findings:
        sys.exit(CHECK_FAILED)
    click.echo(f"no secrets found in {len(files)} file(s)")


@cassettes.command()
@selection_options
@click.option("--check", "fail_unless_fresh", is_flag=True, help="Exit 1 unless all are fresh.")
def status(fail_unless_fresh: bool, **selection: Any) -> None:
    """List each case as fresh, stale (with the reason) or missing, for one model.

    Give the same model options as to `harness eval`: the check sends the request eval
    would send through a replay-only cassette.
    """
    config = RunConfig(**selection)
    with command_errors():
        statuses = asyncio.run(suite_status(config))
    for entry in statuses:
        repeats = f"repeats {','.join(map(str, entry.repeats))}" if entry.repeats else ""
        line = f"{entry.state:<8} {entry.case_id}  {repeats}".rstrip()
        click.echo(f"{line}  ({entry.reason})" if entry.reason else line)
    counts = {
        state: sum(e.state == state for e in statuses) for state in ("fresh", "stale", "missing")
    }
    click.echo(", ".join(f"{count} {state}" for state, count in counts.items()))
    if fail_unless_fresh and counts["fresh"] != len(statuses):
        sys.exit(CHECK_FAILED)


@cassettes.command()
@suite_option
@cassettes_option
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
def prune(suite: Path, cassettes: Path, dry_run: bool) -> None:
    """Remove cassettes of cases that are no longer in the suite (for every model)."""
    with command_errors():
        case_ids = [case.id for case in load_suite(suite).cases]
    unused = unused_cassettes(cassettes, case_ids)
    for path in unused:
        click.echo(f"{'would remove' if dry_run else 'removed'} {path}")
    if not dry_run:
        remove_cassettes(unused, cassettes)
    click.echo(f"{len(unused)} unused cassette(s){' (dry run)' if dry_run else ''}")
