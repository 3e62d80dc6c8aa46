"""Finding the project's pyproject.toml, whose ``[tool.harness.*]`` tables configure commands."""

from __future__ import annotations

from pathlib import Path

PYPROJECT = "pyproject.toml"


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest pyproject.toml in ``start`` (default: cwd) or one of its parents."""
    directory = (start or Path.cwd()).resolve()
    for candidate in (directory, *directory.parents):
        if (candidate / PYPROJECT).is_file():
            return candidate / PYPROJECT
    return None
