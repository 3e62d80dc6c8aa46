"""harness.yaml_nodes: objects built from composed nodes are the loader's own."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from harness import yaml_nodes
from harness.eval.suite import _SuiteLoader
from harness.yaml_nodes import RememberedPlainTags, build

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=12,
)


def both_ways(text: str) -> tuple[object, object]:
    """``text`` built by :func:`build` and by the suite loader's own constructor (which
    raises first when it refuses the document)."""
    built, constructed = _SuiteLoader(text), _SuiteLoader(text)
    try:
        expected = constructed.get_single_data()
        return build(built, built.get_single_node()), expected
    finally:
        built.dispose()
        constructed.dispose()


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS)
def test_a_dumped_document_builds_as_the_suite_loader_constructs_it(document: object) -> None:
    built, constructed = both_ways(yaml.safe_dump(document))
    assert built == constructed


@pytest.mark.parametrize(
    "text",
    [
        "date: 2024-01-01\nyes: no\non: off\nflag: true\nn: 012\n",
        "a: &x {b: [1, 2]}\nc: *x\n<<: {d: 1}\n",
        "? [1, 2]\n: listed\n1: one\n",
    ],
    ids=["YAML 1.2 scalars", "anchors and merge keys", "keys not strings"],
)
def test_suite_yaml_builds_as_the_suite_loader_constructs_it(text: str) -> None:
    try:
        built, constructed = both_ways(text)
    except yaml.YAMLError as error:  # both refuse it alike: a list cannot be a key
        loader = _SuiteLoader(text)
        with pytest.raises(type(error), match="unhashable"):
            build(loader, loader.get_single_node())
        return
    assert repr(built) == repr(constructed)


def test_every_committed_suite_file_builds_as_the_suite_loader_constructs_it() -> None:
    for path in sorted((REPO / "prompts").glob("*.yaml")):
        built, constructed = both_ways(path.read_text(encoding="utf-8"))
        assert built == constructed, path


WORDS = st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=6)
PLAIN_TEXTS = WORDS | st.sampled_from(
    ["yes", "No", "on", "~", "null", "", "12:30", "2024-01-01", "0o17", "0x1F", "1_000", "1e3",
     ".inf", "-.NaN", "true", "TRUE", "word", "-", "3.5"]
)  # fmt: skip


class _RememberingSafeLoader(RememberedPlainTags, yaml.SafeLoader):
    pass


@settings(max_examples=300, deadline=None)
@given(st.lists(PLAIN_TEXTS, min_size=1, max_size=8))
def test_remembered_plain_tags_resolve_as_the_loader_does(texts: list[str]) -> None:
    # Each text quoted (always a string) and plain, and each seen again.
    text = "".join(f"- '{value}'\n- {value}\n" for value in texts) * 2
    for remembering in (_RememberingSafeLoader, _SuiteLoader):
        forgetful = _forgetful(remembering)
        assert _tags(text, remembering) == _tags(text, forgetful)
        assert yaml.load(text, Loader=remembering) == yaml.load(text, Loader=forgetful)


def test_each_loader_class_remembers_its_own_tags() -> None:
    # "yes" is a boolean to YAML 1.1 (the safe loader), a string to the suite loader.
    assert yaml.load("yes", Loader=_SuiteLoader) == "yes"
    assert yaml.load("yes", Loader=_RememberingSafeLoader) is True
    assert yaml.load("yes", Loader=_SuiteLoader) == "yes"


def test_plain_tags_are_forgotten_past_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_nodes, "PLAIN_TAGS_KEPT", 3)
    _RememberingSafeLoader._plain_tags.clear()
    assert yaml.load("[a, b, c, d, 1]", Loader=_RememberingSafeLoader) == ["a", "b", "c", "d", 1]
    assert len(_RememberingSafeLoader._plain_tags) <= 3


def _tags(text: str, loader_class: type) -> list[str]:
    loader = loader_class(text)
    try:
        return [item.tag for item in loader.get_single_node().value]
    finally:
        loader.dispose()


def _forgetful(loader_class: type) -> type:
    """``loader_class`` resolving every scalar afresh."""

    class Forgetful(loader_class):
        def resolve(self, kind, value, implicit):  # type: ignore[no-untyped-def]
            return super(RememberedPlainTags, self).resolve(kind, value, implicit)

    return Forgetful
