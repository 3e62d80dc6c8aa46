"""What replay does once instead of per request gives the answers it gave per request.

The cassette filters remember their masking, a run reads the environment's secrets once, the
suite schema is validated with its definitions inlined: each is checked here against the
plain computation it replaces.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from secret_forms import encodings
from vcr.request import Request as VcrRequest

from harness.cassettes.matching import canonical_body_matcher
from harness.cassettes.scrub import request_filter
from harness.cassettes.transport import open_cassette
from harness.eval.suite import SCHEMA_PATH, _validator
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


@pytest.mark.parametrize("document", _suites())
def test_the_inlined_suite_schema_gives_the_same_verdicts_and_errors(document: object) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    plain, inlined = jsonschema.Draft202012Validator(schema), _validator()
    assert inlined.schema != schema
    assert inlined.is_valid(document) == plain.is_valid(document)
    if not plain.is_valid(document):
        expected = jsonschema.exceptions.best_match(plain.iter_errors(document))
        found = jsonschema.exceptions.best_match(inlined.iter_errors(document))
        assert (found.message, found.absolute_path, found.validator) == (
            expected.message,
            expected.absolute_path,
            expected.validator,
        )
        assert found.schema.get("description") == expected.schema.get("description")
