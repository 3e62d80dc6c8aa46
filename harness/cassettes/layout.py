"""Where a cassette lives: one file per (model, suite case, repeat index).

``cassettes/<model-slug>/<case-id>/<repeat>.yaml``. One file per repeat keeps each run of a
case independent (repeats at temperature > 0 differ), lets `prune` drop a whole case by
removing one directory, and lets a new model be recorded next to the others without
touching them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CASSETTE_SUFFIX = ".yaml"
_UNSAFE = re.compile(r"[^a-z0-9._-]+")
_CASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def model_slug(model: str) -> str:
    """A directory name for a model: lower case, runs of other characters become ``-``."""
    slug = _UNSAFE.sub("-", model.strip().lower()).strip("-.")
    if not slug:
        raise ValueError(f"model name {model!r} has no usable characters for a directory name")
    return slug


def cassette_path(root: Path, model: str, case_id: str, repeat: int) -> Path:
    """The cassette file for one repeat of one case with one model."""
    if not _CASE_ID.match(case_id):
        raise ValueError(
            f"case id {case_id!r} cannot name a cassette directory "
            "(letters, digits, '.', '_' and '-' only, starting with a letter or digit)"
        )
    if repeat < 0:
        raise ValueError(f"repeat index must be >= 0, got {repeat}")
    return Path(root) / model_slug(model) / case_id / f"{repeat}{CASSETTE_SUFFIX}"


@dataclass(frozen=True)
class CassetteFile:
    """A cassette found on disk, with the parts its path encodes."""

    path: Path
    model_slug: str
    case_id: str
    repeat: int


def iter_cassettes(root: Path) -> list[CassetteFile]:
    """Every ``<model>/<case>/<repeat>.yaml`` under ``root``, sorted by path."""
    found = []
    for path in sorted(Path(root).glob(f"*/*/*{CASSETTE_SUFFIX}")):
        if path.stem.isdigit():
            model, case = path.parent.parent.name, path.parent.name
            found.append(CassetteFile(path, model, case, int(path.stem)))
    return found
