"""Which cassettes are recorded, and removing the unused ones (see :mod:`harness.eval.cassette_status`
for whether a case's recording still replays)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from harness.cassettes.layout import iter_cassettes, model_slug


def recorded_repeats(root: Path, model: str, case_id: str) -> tuple[int, ...]:
    """The repeat indices recorded for a case."""
    slug = model_slug(model)
    return tuple(
        found.repeat
        for found in iter_cassettes(root)
        if found.model_slug == slug and found.case_id == case_id
    )


def unused_cassettes(root: Path, case_ids: Iterable[str]) -> list[Path]:
    """Cassette files under ``root`` whose case is not in ``case_ids`` (any model)."""
    known = set(case_ids)
    return [found.path for found in iter_cassettes(root) if found.case_id not in known]


def remove_cassettes(paths: Iterable[Path], root: Path) -> None:
    """Delete ``paths`` and the directories under ``root`` they leave empty."""
    root = Path(root).resolve()
    for path in paths:
        path.unlink()
        parent = path.parent.resolve()
        while parent != root and parent.is_relative_to(root) and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
