"""Command-line entry point: `harness serve|mock|lint|diff|fuzz|eval|report|compare|cassettes`
and `harness submission|budgets|models`.

Each subcommand lives next to the code it drives (``harness/<area>/cli.py``) and is imported
only when invoked, so `harness lint` does not pay for pandas or schemathesis.
"""

from __future__ import annotations

import importlib

import click

from harness.cassettes.vcr_import import import_vcr

# command name -> "module:attribute" of a click command
COMMANDS: dict[str, str] = {
    "serve": "harness.commands.serve:serve",
    "mock": "harness.mock.cli:mock",
    "lint": "harness.contract.cli:lint",
    "diff": "harness.commands.diff:diff",
    "fuzz": "harness.fuzz.cli:fuzz",
    "eval": "harness.eval.cli:eval_command",
    "report": "harness.report.cli:report",
    "compare": "harness.report.cli:compare",
    "cassettes": "harness.commands.cassettes:cassettes",
    "submission": "harness.submission.cli:submission",
    "budgets": "harness.commands.budgets:budgets",
    "models": "harness.models.cli:models",
}
CASSETTE_COMMANDS = frozenset({"eval", "cassettes"})
"""Commands that read or write cassettes: vcrpy is imported for them without the HTTP clients
only its patchers need (``harness.cassettes.vcr_import``), a fifth of `harness eval`'s
start-up."""


class LazyGroup(click.Group):
    """A click group that imports each subcommand's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        if cmd_name in CASSETTE_COMMANDS:
            import_vcr()
        module_name, attribute = target.split(":")
        return getattr(importlib.import_module(module_name), attribute)


@click.group(cls=LazyGroup)
@click.version_option(package_name="podcast-harness")
def main() -> None:
    """Contract tests and prompt evaluation for an LLM-facing API (PodcastAPI proxy)."""
