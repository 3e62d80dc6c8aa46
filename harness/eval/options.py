"""Command-line options shared by `harness eval` and `harness cassettes`.

Both commands must build the same requests for a case (the cassette check replays what eval
would send), so they take the same model and suite options, named after `RunConfig` fields.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from harness.contract.load import DEFAULT_MANIFEST_PATH, DEFAULT_SPEC_PATH
from harness.models.catalog import DEFAULT_LOCAL_MODEL, KNOWN_MODELS

suite_option = click.option(
    "--suite",
    type=click.Path(path_type=Path),
    default=Path("prompts"),
    show_default=True,
    help="Suite file or directory of *.yaml files.",
)
cassettes_option = click.option(
    "--cassettes",
    type=click.Path(path_type=Path),
    default=Path("cassettes"),
    show_default=True,
    help="Root directory of the cassettes.",
)

SELECTION_OPTIONS = (
    suite_option,
    click.option(
        "--spec",
        type=click.Path(path_type=Path),
        default=DEFAULT_SPEC_PATH,
        show_default=True,
        help="The proxy's openapi.json.",
    ),
    click.option(
        "--manifest",
        type=click.Path(path_type=Path),
        default=DEFAULT_MANIFEST_PATH,
        show_default=True,
        help="ai-plugin.json (its description_for_model is the system prompt).",
    ),
    click.option(
        "--backend",
        type=click.Choice(["local", "openai"]),
        default="local",
        show_default=True,
        help="local: a GGUF model via llama-cpp-python (--local-model); openai: any "
        "OpenAI-compatible endpoint (key from OPENAI_API_KEY).",
    ),
    click.option(
        "--local-model",
        default=DEFAULT_LOCAL_MODEL,
        show_default=True,
        help=f"For --backend local: {', '.join(KNOWN_MODELS)} (`harness models list`) "
        "or a path to any .gguf file.",
    ),
    click.option(
        "--chat-format",
        help="llama-cpp-python chat format for --local-model [default: the model's, "
        "chatml-function-calling for a path].",
    ),
    click.option("--model", help="Model name for --backend openai."),
    click.option("--base-url", help="OpenAI-compatible base URL (default: api.openai.com)."),
    click.option("--temperature", type=float, default=0.0, show_default=True),
    click.option("--seed", type=int, default=0, show_default=True),
    click.option(
        "--tool-choice",
        type=click.Choice(["auto", "required", "none"]),
        default="auto",
        show_default=True,
    ),
    click.option("--strict", is_flag=True, help="Send strict function schemas."),
    cassettes_option,
    click.option("--case", "case_ids", multiple=True, help="Only this case id (repeatable)."),
    click.option("--tag", "tags", multiple=True, help="Only cases with this tag (repeatable)."),
)


def selection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the suite, spec, model, sampling, cassette and case-filter options to ``command``."""
    for option in reversed(SELECTION_OPTIONS):
        command = option(command)
    return command
