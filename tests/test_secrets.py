"""The secrets policy (harness.secrets) and each sink that applies it, over every encoding."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st
from secret_forms import encodings, leaks
from vcr.request import Request as VcrRequest

from harness import secrets as secrets_module
from harness.cassettes.scrub import request_filter, response_filter
from harness.cassettes.transport import CassetteTransport
from harness.proxy.redaction import RedactingFilter
from harness.proxy.redaction import Redactor as ProxyRedactor
from harness.proxy.request_log import RequestLog
from harness.report.redact import redactor
from harness.secrets import (
    PLACEHOLDER,
    PLACEHOLDER_PATTERN,
    Redactor,
    is_secret_name,
    secrets_from_env,
)

SECRETS = [
    "s3cret-XYZ-123",
    'quote"and\\backslash-9f2e',
    "with space/slash & <amp>",
    "non-ascii-é-secret",
]


def test_one_definition_of_secret_variables():
    environ = {
        "LISTEN_API_KEY": "abcd",  # the harness's own: 4 characters are enough
        "CHATGPT_SECRET": "abc",  # too short to mask anything safely
        "MY_SERVICE_TOKEN": "tok-env-secret",  # looks secret by name, long enough
        "TOKENIZERS_PARALLELISM": "false",  # looks secret by name, but a setting
        "DB_PASSWORD": "hunter2-hunter2",
        "HOME": "/root/abcdefghijk",
    }
    assert secrets_from_env(environ) == ["abcd", "hunter2-hunter2", "tok-env-secret"]
    assert is_secret_name("OPENAI_API_KEY") and is_secret_name("gh_token")
    assert not is_secret_name("HOME")


@pytest.mark.parametrize("secret", SECRETS)
def test_every_encoding_of_a_secret_is_masked(secret: str):
    redact = Redactor([secret])
    for name, form in encodings(secret).items():
        masked = redact(f"before {form} after")
        assert PLACEHOLDER in masked and not leaks(masked, [secret]), (name, masked)


def test_the_access_log_example_of_the_issue():
    redact = Redactor(["s3cret-XYZ-123"])
    line = '127.0.0.1:5 - "GET /api/v2/genres?token=s3cret%2DXYZ%2D123&q=x HTTP/1.1" 200'
    assert redact(line) == '127.0.0.1:5 - "GET /api/v2/genres?token=[REDACTED]&q=x HTTP/1.1" 200'
    assert redact("q=s3cret%2dxyz%2d123") == "q=s3cret%2dxyz%2d123"  # another value


def test_base64_inside_basic_auth_is_masked_whole():
    for user in ("u", "us", "use"):
        token = base64.b64encode(f"{user}:s3cret-XYZ-123".encode()).decode()
        assert Redactor(["s3cret-XYZ-123"])(f"Basic {token}, ok") == f"Basic {PLACEHOLDER}, ok"


def test_short_and_empty_values_are_not_masked():
    assert Redactor(["", None, "abc"])("abc") == "abc"
    assert not Redactor(["abc"])


def test_credentials_mode_masks_bearer_tokens_in_free_text():
    redact = Redactor(credentials=True)
    assert redact("Authorization: bearer abcdefgh1234, X-ListenAPI-Key: 'k123456'") == (
        "Authorization: bearer [REDACTED], X-ListenAPI-Key: '[REDACTED]'"
    )


CREDENTIAL_TEXT = st.lists(
    st.sampled_from(
        [
            *("Bearer ", "BEARER+", "bearer%20", "X-ListenAPI-Key: ", "x-listenapi-key='"),
            # What the regex also matches: ı and İ are i, ſ is s and the Kelvin sign is k.
            *("x-l\u0131stenapi-key: ", "X-L\u0130STENAPI-KEY=", "x-li\u017ftenapi-\u212aey: "),
        ]
    )
    | st.text(alphabet="abcdefgkilnprstxyBEKS-: '\"=,%20\u017f\u0131\u212a\u0130é", max_size=12),
    max_size=5,
).map("".join)


@settings(max_examples=1000)
@given(CREDENTIAL_TEXT)
def test_the_credential_pattern_is_skipped_only_where_it_cannot_match(text: str) -> None:
    """Text skipped by the quick check is text the regex leaves alone (Unicode case folding,
    such as the long s or the Kelvin sign, goes to the regex)."""
    redact = Redactor(credentials=True)
    expected = secrets_module._CREDENTIAL.sub(lambda m: m.group("prefix") + PLACEHOLDER, text)
    assert redact(text) == expected


def test_legacy_placeholders_are_recognised_and_can_be_rewritten():
    for legacy in (
        "<REDACTED>",
        "%3CREDACTED%3E",
        "[redacted]",
        "%5BREDACTED%5D",
        "&lt;REDACTED&gt;",
    ):
        assert PLACEHOLDER_PATTERN.fullmatch(legacy)
        assert Redactor(legacy=True)(f"x={legacy}") == f"x={PLACEHOLDER}"
    assert not PLACEHOLDER_PATTERN.search("REDACTED")


def test_bytes_that_are_not_utf8_survive_masking():
    data = b"\xff\x00 s3cret-XYZ-123 \xfe"
    assert Redactor(["s3cret-XYZ-123"]).bytes(data) == b"\xff\x00 [REDACTED] \xfe"


def test_the_request_log_masks_json_escaped_secrets(tmp_path: Path):
    path = tmp_path / "requests.jsonl"
    log = RequestLog(path, ProxyRedactor(SECRETS))
    log.write({"params": {"q": SECRETS[1]}, "ignored_params": SECRETS})
    log.write({"params": {f"p{i}": secret for i, secret in enumerate(SECRETS)}})
    log.close()
    text = path.read_text()
    assert not leaks(text, SECRETS)
    assert all(json.loads(line) for line in text.splitlines())  # still one JSON object a line


def test_log_records_are_masked_in_every_encoding():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        (
            "127.0.0.1:1",
            "GET",
            "/api/v2/genres?leak=s3cret%2DXYZ%2D123&x=s3cret-XYZ-123",
            "1.1",
            200,
        ),
        None,
    )
    RedactingFilter(ProxyRedactor(SECRETS)).filter(record)
    assert record.getMessage() == (
        '127.0.0.1:1 - "GET /api/v2/genres?leak=[REDACTED]&x=[REDACTED] HTTP/1.1" 200'
    )


def test_reports_mask_the_environments_secrets_in_every_encoding(monkeypatch):
    for index, secret in enumerate(SECRETS):
        monkeypatch.setenv(f"SOME_TOKEN_{index}", secret)
    redact = redactor()
    text = "\n".join(f"{name}: {form}" for s in SECRETS for name, form in encodings(s).items())
    assert not leaks(redact(text), SECRETS)


@respx.mock
async def test_cassettes_hold_no_encoding_of_a_secret(tmp_path: Path):
    secret = 'quote"and\\backslash-9f2e'
    echoed = json.dumps({"echo": [form for form in encodings(secret).values()]})

    def model(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            content=echoed.encode(),
            headers={"content-type": "application/json", "x-echo": encodings(secret)["percent"]},
        )

    respx.post("http://model.test/v1/chat/completions").mock(side_effect=model)
    path = tmp_path / "c.yaml"
    basic = base64.b64encode(f"me:{secret}".encode()).decode()

    async def ask(mode: str) -> httpx.Response:
        inner = httpx.AsyncHTTPTransport()
        async with httpx.AsyncClient(transport=CassetteTransport(path, mode, inner, [secret])) as c:
            return await c.post(
                "http://model.test/v1/chat/completions",
                params={"q": secret},
                json={"messages": [{"role": "user", "content": f"key {secret}"}]},
                headers={"x-forwarded-auth": f"Basic {basic}", "x-raw": encodings(secret)["json"]},
            )

    recorded = await ask("once")
    assert recorded.json() == json.loads(echoed)  # the caller gets the real answer
    text = path.read_text()
    assert not leaks(text, [secret]), leaks(text, [secret])
    assert PLACEHOLDER in text and "Basic [REDACTED]" in text
    replayed = await ask("none")  # the scrubbed recording still matches
    assert replayed.status_code == 200


@respx.mock
async def test_cassettes_with_the_legacy_placeholder_still_replay(tmp_path: Path):
    secret = "sk-test-abcdefghijklmnopqrstuvwx"
    path = tmp_path / "c.yaml"
    respx.post("http://m.test/v1/chat").respond(200, json={"ok": True})

    async def ask(mode: str) -> httpx.Response:
        inner = httpx.AsyncHTTPTransport()
        async with httpx.AsyncClient(transport=CassetteTransport(path, mode, inner, [secret])) as c:
            return await c.post("http://m.test/v1/chat", json={"content": f"my key {secret}"})

    await ask("once")
    old = path.read_text().replace(PLACEHOLDER, "<REDACTED>")  # as earlier versions wrote it
    assert "<REDACTED>" in old
    path.write_text(old)
    assert (await ask("none")).json() == {"ok": True}


def test_credential_form_parameters_and_json_fields_are_scrubbed():
    form = VcrRequest(
        "POST",
        "http://auth.test/token?API_KEY=abc&q=1",
        b"grant_type=password&Password=hunter2&client_secret=s3",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    scrubbed = request_filter([])(form)
    assert scrubbed.body == b"grant_type=password" and scrubbed.query == [("q", "1")]
    response = response_filter([])(
        {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Content-Type": ["application/json"]},
            "body": {"string": b'{"access_token": "eyJabc", "user": {"API_KEY": "k1"}, "n": 1}'},
        }
    )
    assert json.loads(response["body"]["string"]) == {
        "access_token": PLACEHOLDER,
        "user": {"API_KEY": PLACEHOLDER},
        "n": 1,
    }
    plain = b'{"messages": [{"role": "user", "content": "pass the keywords"}]}'
    json_request = VcrRequest("POST", "http://m/v1", plain, {"content-type": "application/json"})
    assert request_filter([])(json_request).body == plain  # not re-serialised
