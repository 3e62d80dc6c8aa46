"""harness.yaml_nodes: objects built from composed nodes are the loader's own."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.eval.suite import _SuiteLoader
from harness.yaml_nodes import build

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
