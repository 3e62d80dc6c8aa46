"""Output-format names shared by every command: one spelling documented, aliases accepted."""

from __future__ import annotations

from typing import Any

import click

# alias -> documented name
ALIASES = {"md": "markdown"}


class FormatChoice(click.Choice):
    """``click.Choice`` of documented format names that also accepts their aliases
    (``--format md`` is ``--format markdown``)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return super().convert(ALIASES.get(value, value), param, ctx)
