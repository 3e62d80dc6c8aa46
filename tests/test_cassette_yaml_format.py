"""The faster cassette reader reads what vcrpy's own YAML serializer reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vcr.serializers import yamlserializer

from harness.cassettes import yaml_format

REPO = Path(__file__).resolve().parents[1]

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | st.binary(max_size=20)
    | st.sampled_from(["yes", "0o17", "1_000", "12:30", "2024-01-01", "~", "null", ".inf", "<<"])
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=6) | st.integers(), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=500, deadline=None)
@given(DOCUMENTS)
def test_what_vcrpy_writes_reads_back_as_vcrpy_reads_it(document: object) -> None:
    text = yamlserializer.serialize(document)
    assert yaml_format.deserialize(text) == yamlserializer.deserialize(text)


def test_every_committed_cassette_reads_as_vcrpy_reads_it() -> None:
    paths = sorted((REPO / "cassettes").rglob("*.yaml"))
    assert paths
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert yaml_format.deserialize(text) == yamlserializer.deserialize(text), path


HAND_WRITTEN = {
    "anchors": "a: &x [1, {b: c}]\nd: *x\n",
    "merge keys": "base: &b {x: 1, y: 2}\nmore:\n  <<: *b\n  y: 3\n",
    "tags": "s: !!str 12\nf: !!float 1\nb: !!binary aGVsbG8=\nt: !!python/tuple [1, 2]\n",
    "keys not strings": "1: one\n? [a]\n: listed\nnull: nothing\ntrue: yes\n",
    "plain scalars": "a: yes\nb: 0o17\nc: 1_000\nd: 12:30\ne: 2024-01-01\nf: ~\ng: .inf\n",
    "recursive": "a: &r [1, *r]\n",
    "empty": "",
    "comment only": "# nothing\n",
}


@pytest.mark.parametrize("text", HAND_WRITTEN.values(), ids=HAND_WRITTEN.keys())
def test_yaml_vcrpy_never_writes_reads_as_vcrpy_reads_it(text: str) -> None:
    try:
        expected = yamlserializer.deserialize(text)
    except Exception as error:  # whatever vcrpy raises, the reader raises too
        with pytest.raises(type(error)):
            yaml_format.deserialize(text)
        return
    found = yaml_format.deserialize(text)
    assert repr(found) == repr(expected)


def test_an_alias_is_the_same_object_as_its_anchor() -> None:
    document = yaml_format.deserialize(HAND_WRITTEN["anchors"])
    assert document["a"] is document["d"]
    recursive = yaml_format.deserialize(HAND_WRITTEN["recursive"])
    assert recursive["a"][1] is recursive["a"]


def test_a_vcrpy_without_its_private_loader_reads_with_its_own_deserialize(monkeypatch) -> None:
    monkeypatch.setattr(yaml_format, "_VcrLoader", None)
    read: list[str] = []
    monkeypatch.setattr(yamlserializer, "deserialize", lambda text: read.append(text) or {"a": 1})
    assert yaml_format.deserialize("a: 1\n") == {"a": 1}
    assert read == ["a: 1\n"]
