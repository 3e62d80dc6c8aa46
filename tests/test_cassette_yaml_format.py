"""Cassettes are written as JSON when YAML reads that back the same, else as vcrpy's YAML; the
reader reads both as vcrpy's own YAML serializer reads them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
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


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)  # what JSON parsers hold
    | st.floats(allow_nan=False)
    | st.text()
    | st.sampled_from(["\u2028", "a\x85b", "\x7f", "\x9f", "\ufeff", "1e5", "yes", "~", "\t x "])
)
JSON_DOCUMENTS = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def _as_vcrpy_reads_its_own(document: object) -> object:
    return yamlserializer.deserialize(yamlserializer.serialize(document))


@settings(max_examples=500, deadline=None)
@given(DOCUMENTS | JSON_DOCUMENTS)
def test_what_the_harness_writes_reads_back_as_vcrpy_reads_it(document: object) -> None:
    text = yaml_format.serialize(document)
    assert yaml_format.deserialize(text) == yamlserializer.deserialize(text)
    assert yaml_format.deserialize(text) == _as_vcrpy_reads_its_own(document)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=6), JSON_DOCUMENTS, min_size=1, max_size=4))
def test_a_cassette_json_holds_is_written_as_json_unless_yaml_reads_it_otherwise(
    document: dict,
) -> None:
    text = yaml_format.serialize(document)
    assert text.startswith("{") == _yaml_reads_as_json_does(_json(document), document)


def _yaml_reads_as_json_does(text: str, document: object) -> bool:
    try:
        return yamlserializer.deserialize(text) == document
    except yaml.YAMLError:
        return False


def _json(document: object) -> str:
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_a_cassette_is_indented_json_with_sorted_keys() -> None:
    document = {"version": 1, "interactions": [{"request": {"body": '{"q": 1}'}}]}
    assert yaml_format.serialize(document) == _json(document)


@pytest.mark.parametrize(
    ("document", "tag"),
    [
        ({"body": b"\xff\xfe"}, "!!binary"),
        ({"pair": (1, 2)}, "!!python/tuple"),
        ({"big": 2**70}, "1180591620717411303424"),
        ({"text": "delete \x7f"}, "text:"),
        ({"float": 1e20}, "1.0e+20"),
    ],
    ids=["bytes", "tuple", "big integer", "control character", "exponent"],
)
def test_what_json_cannot_hold_or_yaml_reads_otherwise_is_written_as_yaml(
    document: dict, tag: str
) -> None:
    text = yaml_format.serialize(document)
    assert not text.startswith("{") and tag in text
    assert yaml_format.deserialize(text) == document


def test_a_json_text_is_read_as_json_without_composing_yaml(monkeypatch) -> None:
    monkeypatch.setattr(yaml_format, "_CassetteLoader", None)  # any YAML read would fail
    assert yaml_format.deserialize('{"n": 1e5, "s": "x"}') == {"n": 100000.0, "s": "x"}


def test_a_yaml_flow_mapping_that_is_not_json_reads_as_yaml() -> None:
    assert yaml_format.deserialize("{a: 1, b: [x]}\n") == {"a": 1, "b": ["x"]}


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
