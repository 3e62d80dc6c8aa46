"""The spec-pair corpus: every change class is detected, classified and located.

Each directory under tests/spec_pairs holds old.json, new.json (and optionally
old-manifest.json, new-manifest.json) and expected.json, the changes the diff must report.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.contract.diff import diff_sources

PAIRS = Path(__file__).parent / "spec_pairs"


CASES = {
    "search-startup": frozenset({"searchPodcasts"}),
    "podcast-by-id": frozenset({"getPodcast"}),
}


def observed(pair: Path) -> list[dict[str, object]]:
    manifests = None
    if (pair / "old-manifest.json").exists():
        manifests = (str(pair / "old-manifest.json"), str(pair / "new-manifest.json"))
    changes = diff_sources(str(pair / "old.json"), str(pair / "new.json"), manifests, CASES)
    return [
        {
            "code": c.code,
            "class": c.classes,
            "side": c.side,
            "pointer": c.pointer,
            "cases": list(c.cases),
        }
        for c in changes
    ]


def key(change: dict[str, object]) -> str:
    return json.dumps(change, sort_keys=True)


@pytest.mark.parametrize("pair", sorted(p.name for p in PAIRS.iterdir()))
def test_pair(pair: str) -> None:
    expected = json.loads((PAIRS / pair / "expected.json").read_text())
    assert sorted(observed(PAIRS / pair), key=key) == sorted(expected, key=key)


def test_corpus_covers_every_change_class() -> None:
    codes = {
        change["code"]
        for pair in PAIRS.iterdir()
        for change in json.loads((pair / "expected.json").read_text())
    }
    required = {
        "operation-removed",
        "operation-added",
        "parameter-removed",
        "parameter-added",
        "parameter-made-required",
        "type-narrowed",
        "enum-value-removed",
        "enum-value-added",
        "response-field-removed",
        "response-type-changed",
        "auth-changed",
        "server-path-changed",
        "description-changed",
        "operation-id-changed",
    }
    assert required <= codes


def test_renamed_ref_pair_really_renames() -> None:
    """Guard the no-change pairs: they must differ textually, or they prove nothing."""
    for name in ("renamed-equivalent-ref", "inlined-equivalent-ref"):
        old = (PAIRS / name / "old.json").read_text()
        new = (PAIRS / name / "new.json").read_text()
        assert old != new
