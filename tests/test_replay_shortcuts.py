"""What replay does once instead of per request gives the answers it gave per request.

The cassette filters remember their masking, a run reads the environment's secrets once, the
suite schema is decided by jsonschema-rs: each is checked here against the plain computation
it replaces.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from secret_forms import encodings
from vcr.request import Request as VcrRequest

from harness.cassettes.matching import canonical_body_matcher
from harness.cassettes.scrub import request_filter
from harness.cassettes.transport import open_cassette
from harness.eval.suite import SCHEMA_PATH, _fast_validator, schema_error
from harness.secrets import PLACEHOLDER, Redactor

REPO = Path(__file__).resolve().parents[1]
SECRET = "s3cret-XYZ-123"
LEGACY_FORMS = [
    "<REDACTED>",
    "[redacted]",
    "%3CREDACTED%3E",
    "&lt;Redacted&gt;",
    "&#91;REDACTED&#93;",
]


def request(body: bytes, uri: str = "http://model/v1/chat/completions?q=1") -> VcrRequest:
    headers = {"content-type": "application/json", "x-note": f"see {LEGACY_FORMS[0]}"}
    return VcrRequest("POST", uri, body, headers)


@pytest.mark.parametrize("secrets", [[], [SECRET]])
def test_the_request_filter_masks_as_the_redactor_does_every_time(secrets: list[str]) -> None:
    redact = Redactor(secrets, legacy=True)
    scrub = request_filter(secrets)
    texts = [f"a {form} b" for form in LEGACY_FORMS] + ["nothing to mask", "REDACTE D"]
    if secrets:
        texts += [f"key={form};" for form in encodings(SECRET).values()]
    for text in texts:
        body = json.dumps({"content": text}).encode()
        for _ in range(2):  # the second answer is the remembered one
            scrubbed = scrub(request(body, f"http://model/v1/x?note={text}"))
            assert scrubbed.body == redact.bytes(body)
            assert scrubbed.uri == redact(f"http://model/v1/x?note={text}")
            assert scrubbed.headers["x-note"] == f"see {PLACEHOLDER}"


def test_secrets_learnt_later_are_masked_in_bodies_seen_before() -> None:
    secrets: list[str] = []
    scrub = request_filter(secrets)
    body = json.dumps({"content": f"token {SECRET}"}).encode()
    assert scrub(request(body)).body == body
    secrets.append(SECRET)
    assert SECRET.encode() not in scrub(request(body)).body


def test_a_cassette_masks_the_environment_secrets_its_run_read(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("RUN_SECRET_TOKEN", raising=False)
    cassette = open_cassette(tmp_path / "c.yaml", "all", env_secrets=["env-secret-value-1"])
    body = json.dumps({"content": "say env-secret-value-1"}).encode()
    response = {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": b"{}"}}
    cassette.append(request(body), response)
    assert b"env-secret-value-1" not in cassette.requests[0].body
    assert PLACEHOLDER.encode() in cassette.requests[0].body


def test_equal_bodies_match_and_different_ones_do_not() -> None:
    canonical_body_matcher(request(b"not json"), request(b"not json"))
    canonical_body_matcher(request(b'{"a": 1, "user": "x"}'), request(b'{"a":1}'))
    with pytest.raises(AssertionError):
        canonical_body_matcher(request(b'{"a": 1}'), request(b'{"a": 2}'))


def _suites() -> list[object]:
    documents: list[object] = [
        yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted((REPO / "prompts").glob("*.yaml"))
    ]
    case = {"id": "c1", "prompt": "p", "expect": [{"operation": "op", "arguments": {"q": "x"}}]}
    broken_cases = [
        {**case, "id": "Bad Id"},
        {**case, "messages": [{"role": "user", "content": "m"}]},
        {key: value for key, value in case.items() if key != "prompt"},
        {**case, "expect": "nothing"},
        {**case, "expect": []},
        {**case, "expect": {"calls": [{"operation": "op"}], "order": "random"}},
        {**case, "expect": {"any_of": [[{"operation": "op"}]]}},
        {**case, "expect": [{"operation": "op", "arguments": {"q": {"regex": 1}}}]},
        {**case, "expect": [{"operation": "op", "arguments": {"q": {"one_of": [{"bogus": 1}]}}}]},
        {**case, "expect": [{"operation": "op", "arguments": {"q": [{"range": "x"}]}}]},
        {**case, "expect": [{"operation": "op", "arguments": {"9q": "x"}}]},
        {**case, "tags": ["a", "a"]},
        {**case, "extra": True},
    ]
    documents += [{"cases": [case, broken]} for broken in broken_cases]
    documents += [{}, {"cases": []}, {"cases": [case], "defaults": {"tags": ["-x"]}}, []]
    return documents


def _plain_validator() -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


@pytest.mark.parametrize("document", _suites())
def test_the_suite_schema_check_gives_jsonschemas_verdicts_and_errors(document: object) -> None:
    plain = _plain_validator()
    error = schema_error(document)
    assert (error is None) == plain.is_valid(document)
    if error is not None:
        expected = jsonschema.exceptions.best_match(plain.iter_errors(document))
        assert (error.message, error.absolute_path, error.validator) == (
            expected.message,
            expected.absolute_path,
            expected.validator,
        )


# Text that tells the regex dialects apart: Unicode digits and spaces, a byte-order mark, the
# separators Python counts as spaces and ECMA does not, a final newline.
TRICKY_TEXT = st.text(alphabet="ab0_-. \t\n\x1c\x85\xa0\u0665\u3000\ufeffdhms", max_size=8)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2) | st.floats(allow_nan=False) | TRICKY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY_TEXT, inner, max_size=3),
    max_leaves=6,
)
EVERY_MATCHER = {
    "defaults": {"tags": ["smoke"]},
    "cases": [
        {
            "id": "every-matcher",
            "prompt": "p",
            "tags": ["a-b"],
            "expect": [
                {
                    "operation": "op",
                    "arguments": {
                        "t": {"timestamp": "2024-01-01", "tolerance": "1d"},
                        "r": {"regex": "^x$", "example": "x"},
                        "n": [{"range": [0, 5]}, {"csv": ["a", "b"]}, {"iequals": "X"}],
                    },
                }
            ],
        }
    ],
}
COMMITTED_SUITES = [
    yaml.safe_load(path.read_text(encoding="utf-8"))
    for path in sorted((REPO / "prompts").glob("*.yaml"))
]
SEED_SUITES = [EVERY_MATCHER, *COMMITTED_SUITES]


@st.composite
def mutated_suites(draw: st.DrawFn) -> object:
    """A suite with one node replaced, removed or given a new key."""
    document = copy.deepcopy(draw(st.sampled_from(SEED_SUITES)))
    parent, key = None, None
    node = document
    while isinstance(node, dict | list) and node and draw(st.integers(0, 5)):
        keys = sorted(node) if isinstance(node, dict) else range(len(node))
        parent, key = node, draw(st.sampled_from(keys))
        node = node[key]
    action = draw(st.sampled_from(["replace", "remove", "add"]))
    if action == "add" and isinstance(node, dict):
        node[draw(TRICKY_TEXT)] = draw(JSON_VALUES)
    elif action == "remove" and parent is not None:
        del parent[key]
    elif parent is not None:
        parent[key] = draw(JSON_VALUES)
    return document


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_suites())
def test_jsonschema_rs_accepts_only_what_jsonschema_accepts(document: object) -> None:
    """schema_error trusts jsonschema-rs when it accepts: it must never accept more."""
    if _fast_validator().is_valid(document):
        assert _plain_validator().is_valid(document)
    assert (schema_error(document) is None) == _plain_validator().is_valid(document)


def _text_locations(node: object, path: tuple = ()) -> list[tuple]:
    if isinstance(node, dict):
        return [p for key, value in node.items() for p in _text_locations(value, (*path, key))]
    if isinstance(node, list):
        return [
            p for index, value in enumerate(node) for p in _text_locations(value, (*path, index))
        ]
    return [path] if isinstance(node, str) else []


TRICKY_CHARACTERS = "\t\n\x1c\x85\xa0\u0665\u2028\u3000\ufeff"


def test_no_character_makes_jsonschema_rs_accept_more_text_than_jsonschema() -> None:
    """Every text of a suite holding every matcher, with each character the dialects read
    differently put at its start, middle and end."""
    plain = _plain_validator()
    seed = {**EVERY_MATCHER, "cases": [*EVERY_MATCHER["cases"], COMMITTED_SUITES[0]["cases"][0]]}
    for path in _text_locations(seed):
        for character in TRICKY_CHARACTERS:
            for at in ("start", "middle", "end"):
                document = copy.deepcopy(seed)
                parent = document
                for key in path[:-1]:
                    parent = parent[key]
                text = parent[path[-1]]
                cut = {"start": 0, "middle": len(text) // 2, "end": len(text)}[at]
                parent[path[-1]] = text[:cut] + character + text[cut:]
                if _fast_validator().is_valid(document):
                    assert plain.is_valid(document), (path, character, at)


def test_a_tolerance_in_unicode_digits_or_spaces_is_refused_by_both() -> None:
    case = {"id": "c1", "prompt": "p", "expect": [{"operation": "op", "arguments": {}}]}
    for tolerance in ["\u0665d", "\ufeff5d", "5\u3000d"]:
        matcher = {"timestamp": "2024-01-01", "tolerance": tolerance}
        case["expect"][0]["arguments"] = {"t": matcher}
        document = {"cases": [case]}
        assert not _fast_validator().is_valid(document)
        assert schema_error(document) is not None
