"""One vocabulary across commands: option names, format spellings, defaults, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import main

REPO = Path(__file__).resolve().parents[1]
LINT = REPO / "tests" / "fixtures" / "lint"
PAIR = REPO / "tests" / "spec_pairs" / "maximum-tightened"
RUNS = REPO / "tests" / "fixtures" / "runs"


def run(*args: str | Path):
    return CliRunner().invoke(main, [str(arg) for arg in args])


def test_lint_takes_spec_and_manifest_options_and_positionals() -> None:
    upstream = ("--upstream-spec", LINT / "upstream.yaml")
    by_option = run("lint", "--spec", LINT / "openapi.json", "--manifest", LINT / "ai-plugin.json",
                    *upstream)  # fmt: skip
    by_position = run("lint", LINT / "openapi.json", LINT / "ai-plugin.json", *upstream)
    assert by_option.exit_code == by_position.exit_code == 0, by_option.output
    assert by_option.output == by_position.output
    both = run("lint", LINT / "openapi.json", "--spec", LINT / "openapi.json", *upstream)
    assert both.exit_code == 2 and "SPEC" in both.output


@pytest.mark.parametrize("spelling", ["md", "markdown"])
def test_diff_and_compare_accept_both_spellings_of_markdown(spelling: str) -> None:
    diffed = run("diff", PAIR / "old.json", PAIR / "new.json", "--format", spelling)
    assert diffed.exit_code == 1 and diffed.output.startswith("#"), diffed.output
    compared = run("compare", RUNS / "baseline", RUNS / "candidate", "--format", spelling)
    assert compared.exit_code == 0 and compared.output.startswith("### Compared"), compared.output


@pytest.mark.parametrize(
    "command",
    [["serve"], ["lint"], ["diff"], ["fuzz"], ["eval"], ["cassettes", "status"],
     ["cassettes", "prune"], ["cassettes", "check"], ["report"], ["compare"], ["mock"]],
)  # fmt: skip
def test_help_shows_defaults_as_relative_paths(command: list[str]) -> None:
    text = run(*command, "--help").output
    assert str(REPO) not in text.replace("\n", "").replace(" ", "")
    assert "/site-packages/" not in text


def test_eval_help_shows_the_spec_and_manifest_defaults() -> None:
    text = "".join(run("eval", "--help").output.split())  # help lines wrap anywhere
    assert "[default:specs/openapi.json]" in text
    assert "[default:specs/ai-plugin.json]" in text


@pytest.mark.parametrize(
    "args",
    [
        ["lint", "missing.json"],
        ["diff", "missing-old.json", "missing-new.json"],
        ["fuzz", "--phases", "nope"],
        ["eval", "--suite", "missing-suite"],
        ["report", "missing-run"],
        ["compare", "missing-a", "missing-b"],
        ["cassettes", "status", "--suite", "missing-suite"],
        ["cassettes", "prune", "--suite", "missing-suite"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_bad_input_exits_two_on_every_command(args: list[str], tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    result = run(*args)
    assert result.exit_code == 2, result.output
