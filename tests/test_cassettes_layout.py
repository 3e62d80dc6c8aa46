"""Cassette paths and the matching rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cassettes.layout import cassette_path, iter_cassettes, model_slug
from harness.cassettes.matching import body_differences, canonical_body


def test_cassette_path_is_model_case_repeat():
    path = cassette_path(Path("cassettes"), "SmolLM2-135M-Instruct-Q4_1", "search-podcasts", 2)
    assert path == Path("cassettes/smollm2-135m-instruct-q4_1/search-podcasts/2.yaml")
    assert model_slug("gpt-4o / mini") == "gpt-4o-mini"


@pytest.mark.parametrize("case_id", ["../escape", "a/b", "", ".hidden"])
def test_case_ids_that_are_not_safe_directory_names_are_refused(case_id: str):
    with pytest.raises(ValueError, match="case id"):
        cassette_path(Path("c"), "m", case_id, 0)


def test_iter_cassettes_reads_the_layout_back(tmp_path: Path):
    path = cassette_path(tmp_path, "m", "case-1", 3)
    path.parent.mkdir(parents=True)
    path.write_text("version: 1\n")
    (path.parent / "notes.yaml").write_text("x")
    [found] = iter_cassettes(tmp_path)
    assert (found.path, found.model_slug, found.case_id, found.repeat) == (path, "m", "case-1", 3)


def test_canonical_body_sorts_keys_and_drops_volatile_fields():
    a = b'{"model": "m", "user": "u1", "messages": [], "temperature": 0}'
    b = b'{"temperature": 0, "messages": [], "model": "m", "stream_options": {"x": 1}}'
    assert canonical_body(a) == canonical_body(b)
    assert canonical_body(b"not json") == b"not json"


def test_several_differences_are_all_named():
    recorded = b'{"model": "a", "temperature": 0, "top_p": 1, "messages": []}'
    asked = b'{"model": "b", "temperature": 1, "top_p": 0.5, "messages": [], "extra": 1}'
    assert body_differences(recorded, asked) == [
        "model changed: recorded a, asked b",
        "sampling parameters changed: temperature, top_p",
        "request fields changed: extra",
    ]
