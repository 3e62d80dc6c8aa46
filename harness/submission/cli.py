"""`harness submission RUN_DIR`: write the reviewer pack of a finished eval run."""

from __future__ import annotations

from pathlib import Path

import click

from harness.contract.load import DEFAULT_SPEC_PATH
from harness.errors import CHECK_FAILED, command_errors


@click.command("submission")
@click.argument("run_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--spec",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_SPEC_PATH,
    show_default=True,
    help="The spec the run used (its sha256 must match run.json).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the pack goes [default: RUN_DIR/submission].",
)
@click.option(
    "--positive",
    type=click.IntRange(min=1),
    help="Positive cases in the pack [default: positive_cases of [tool.harness.submission], 5].",
)
@click.option(
    "--negative",
    type=click.IntRange(min=0),
    help="Negative cases in the pack [default: negative_cases of [tool.harness.submission], 3].",
)
def submission(
    run_dir: Path, spec: Path, out: Path | None, positive: int | None, negative: int | None
) -> None:
    """Write RUN_DIR/submission/: tools.json, test-cases.json and test-cases.md.

    Positive cases are those tagged `submission` (else `critical`), negative ones those that
    expect no tool call. Exits 1 when a chosen case did not pass in every repeat of the run
    (a reviewer will try it), 2 when the run or spec cannot be used.
    """
    from harness.contract.load import load_spec
    from harness.pyproject import find_pyproject
    from harness.submission.pack import build_pack
    from harness.submission.write import write_pack
    from harness.submission_config import load_submission_config

    with command_errors():
        config = load_submission_config(find_pyproject(Path.cwd()))
        pack = build_pack(
            run_dir,
            load_spec(spec),
            positive if positive is not None else config.positive_cases,
            negative if negative is not None else config.negative_cases,
        )
    paths = write_pack(pack, out or run_dir / "submission")
    click.echo(f"pack: {paths['test-cases.md'].parent} ({', '.join(paths)})")
    for note in pack.notes:
        click.echo(f"note: {note}")
    defaulted = [tool["name"] for tool in pack.tools if tool["defaulted_hints"]]
    if defaulted:
        click.echo(
            f"warning: {len(defaulted)} tool(s) have hints without a justification "
            f"({', '.join(defaulted)}); see harness lint --target openai-apps"
        )
    click.echo(
        f"{len(pack.positive)} positive, {len(pack.negative)} negative case(s); "
        f"{len(pack.cases) - len(pack.failing)} pass in every repeat"
    )
    if pack.failing:
        for case in pack.failing:
            click.echo(f"  FAILS {case.case_id}: {case.passes}/{case.tries} repeats passed")
        raise SystemExit(CHECK_FAILED)
