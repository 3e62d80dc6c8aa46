"""Secret scanning: `harness cassettes check` and the scan of every committed cassette."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from vcr.serializers import jsonserializer, yamlserializer

from harness.cassettes.scan import CassetteError, scan_paths, scan_text
from harness.commands.cassettes import cassettes
from harness.secrets import secrets_from_env

CLEAN = """\
interactions:
- request:
    body: '{"messages":[{"role":"system","content":"Calls need Authorization: Bearer <token>."}]}'
    headers:
      content-type:
      - application/json
    method: POST
    uri: http://local-model/v1/chat/completions
  response:
    body:
      string: '{"id": "4d3fe717742d4963a85562e9f84d8c79", "note": "task-force"}'
    headers: {}
    status:
      code: 200
      message: OK
version: 1
"""
KEY = "sk-proj-AbCdEfGhIjKlMnOpQrStUv"


def cassette(
    body: Any = b"{}", uri: str = "http://m/v1/chat", headers: dict | None = None, **response: Any
) -> dict[str, Any]:
    """A cassette as vcrpy serialises it (bytes bodies that are not UTF-8 become !!binary)."""
    return {
        "interactions": [
            {
                "request": {
                    "method": "POST",
                    "uri": uri,
                    "body": body,
                    "headers": {"content-type": ["application/json"], **(headers or {})},
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": response.get("response_headers", {}),
                    "body": {"string": response.get("response_body", b"{}")},
                },
            }
        ],
        "version": 1,
    }


def as_yaml(document: dict[str, Any]) -> str:
    return yamlserializer.serialize(document)


def rules(text: str, **kwargs: Any) -> list[str]:
    return [finding.rule for finding in scan_text(text, Path("c.yaml"), **kwargs)]


@pytest.mark.parametrize(
    ("leak", "rule"),
    [
        (f"      note: {KEY}\n", "openai-style key"),
        ("      note: 'Bearer eyJhbGciOiJIUzI1NiJ9'\n", "bearer token"),
        ("      note: 'bearer eyJhbGciOiJIUzI1NiJ9'\n", "bearer token"),
        ("      X-ListenAPI-Key:\n      - 0123456789abcdef\n", "credential header"),
        ('      {"authorization": ["Basic dXNlcjpwYXNz"]}: x\n', "credential header"),
        (
            "      uri: https://l.example/api/v2/genres?api_key=abc123\n",
            "credential query parameter",
        ),
    ],
)
def test_each_kind_of_secret_is_found_with_its_line(leak: str, rule: str):
    text = CLEAN.replace("      message: OK\n", "      message: OK\n" + leak)
    line = CLEAN.count("\n", 0, CLEAN.index("      message: OK")) + 2
    findings = scan_text(text, Path("c.yaml"))
    assert [(f.rule, f.line) for f in findings] == [(rule, line)]
    assert str(findings[0]).startswith(f"c.yaml:{line}: {rule}: ")


@pytest.mark.parametrize(
    ("document", "rule"),
    [
        # "\nsk-..." inside a JSON body: the escape hides the key from a plain text scan
        (cassette(json.dumps({"content": f"note:\n{KEY}"}).encode()), "openai-style key"),
        # a JSON string inside a JSON string (tool-call arguments)
        (cassette(json.dumps({"arguments": json.dumps({"q": f"\n{KEY}"})})), "openai-style key"),
        (cassette(uri=f"http://m/v1/chat?q=hello%20{KEY}"), "openai-style key"),
        (cassette(uri="http://m/v1/chat?auth=Bearer%20eyJhbGciOiJIUzI1NiJ9"), "bearer token"),
        (cassette(uri="http://m/v1/chat?auth=Bearer+eyJhbGciOiJIUzI1NiJ9"), "bearer token"),
        (cassette(headers={"X-Forwarded": ["bearer abcdefgh12345678"]}), "bearer token"),
        (cassette(headers={"AUTHORIZATION": ["token abc"]}), "credential header"),
        (cassette(headers={"Set-Cookie": ["id=1"]}), "credential header"),
        (cassette(uri="http://m/v1/chat?API_KEY=abc123"), "credential query parameter"),
        (cassette(uri="http://m/v1/chat?x=1&Client_Secret=abc"), "credential query parameter"),
        (cassette(b"grant_type=password&password=hunter2"), "credential query parameter"),
        (cassette(b"client_secret=abc&client_id=x"), "credential query parameter"),
        (cassette(json.dumps({"Password": "hunter2"}).encode()), "credential field"),
        (cassette(json.dumps({"client_secret": "x1"}).encode()), "credential field"),
        # a !!binary body (bytes that are not UTF-8) and a gzip-compressed one
        (cassette(b"\xff\xfe" + KEY.encode()), "openai-style key"),
        (
            cassette(response_body=gzip.compress(json.dumps({"k": KEY}).encode())),
            "openai-style key",
        ),
        (
            cassette(response_body=gzip.compress(b"Bearer%20eyJhbGciOiJIUzI1NiJ9")),
            "bearer token",
        ),
    ],
)
def test_secrets_hidden_by_an_encoding_are_found(document: dict[str, Any], rule: str):
    assert rule in rules(as_yaml(document))


def test_binary_bodies_really_are_binary_in_the_file():
    text = as_yaml(cassette(response_body=gzip.compress(json.dumps({"k": KEY}).encode())))
    assert "!!binary" in text and "sk-proj" not in text
    assert rules(text) == ["openai-style key"]


def test_json_cassettes_are_scanned_after_decoding_too():
    text = jsonserializer.serialize(cassette(json.dumps({"c": f"\n{KEY}"}), response_body="{}"))
    assert [f.rule for f in scan_text(text, Path("c.json"))] == ["openai-style key"]


def test_a_finding_after_decoding_names_the_line_of_the_value():
    document = cassette(json.dumps({"messages": [{"content": "x " * 200 + f"\n{KEY}"}]}))
    text = as_yaml(document)
    (finding,) = scan_text(text, Path("c.yaml"))
    lines = text.splitlines()
    assert "sk-proj" in lines[finding.line - 1]


def test_placeholders_current_and_legacy_are_accepted():
    redacted = as_yaml(
        cassette(
            uri="http://x/a?api_key=%3CREDACTED%3E&token=%5BREDACTED%5D&key=[REDACTED]",
            headers={"Authorization": ["Bearer [REDACTED]"], "api-key": ["<REDACTED>"]},
            body=json.dumps({"password": "[REDACTED]", "note": "Bearer <REDACTED>"}).encode(),
        )
    )
    assert scan_text(CLEAN, Path("c.yaml")) == []
    assert scan_text(redacted, Path("c.yaml")) == []


def test_findings_do_not_repeat_the_secret():
    finding = scan_text("x: sk-abcdefghijklmnopqrstuvwxyz\n", Path("c.yaml"))[0]
    assert "ghijklmnop" not in str(finding)


def test_configured_values_are_found(tmp_path: Path):
    (tmp_path / "m" / "case").mkdir(parents=True)
    (tmp_path / "m" / "case" / "0.yaml").write_text(CLEAN + "note: hunter2-password\n")
    findings = scan_paths([tmp_path], secrets=["hunter2-password"])
    assert [(f.rule, f.line) for f in findings] == [("configured secret value", 17)]
    assert "hunter2" not in str(findings[0])


@pytest.mark.parametrize(
    "form",
    [
        "s3cret%2DXYZ%2D123",
        "s3cret%2dXYZ-123",
        "s3cret-XYZ-123",
        base64.b64encode(b"user:s3cret-XYZ-123").decode(),
    ],
)
def test_configured_values_are_found_in_every_encoding(form: str):
    text = as_yaml(cassette(uri=f"http://m/v1?q={form}"))
    assert rules(text, tokens=["s3cret-XYZ-123"]) == ["configured secret value"]


def test_a_configured_token_is_not_found_inside_a_longer_word():
    text = as_yaml(cassette(json.dumps({"q": "football scores"}).encode()))
    assert rules(text, tokens=["foo"]) == []
    assert rules(text, secrets=["foo"]) == ["configured secret value"]
    hit = as_yaml(cassette(json.dumps({"q": "foo scores", "r": "x=foo&y"}).encode()))
    assert rules(hit, tokens=["foo"]) == ["configured secret value"]


def test_secret_environment_values_are_collected():
    environ = {"LISTEN_API_KEY": "abcdefgh1234", "MY_TOKEN": "short", "HOME": "/root/abcdefgh"}
    assert secrets_from_env(environ) == ["abcdefgh1234"]


def test_text_that_is_not_yaml_is_an_error_naming_the_line():
    with pytest.raises(CassetteError, match=r"c.yaml:3: not a YAML or JSON cassette"):
        scan_text("a: 1\nb: [\nc: d: e\n", Path("c.yaml"))


def test_check_command_exits_1_naming_file_and_line(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(CLEAN + "h: Bearer abcdefghijklmnop\n")
    (tmp_path / "good.json").write_text('{"interactions": []}')
    result = CliRunner().invoke(cassettes, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{bad}:17: bearer token" in result.output


def test_check_command_passes_on_clean_files(tmp_path: Path):
    (tmp_path / "good.yaml").write_text(CLEAN)
    result = CliRunner().invoke(cassettes, ["check", str(tmp_path)])
    assert result.exit_code == 0 and "no secrets found in 1 file(s)" in result.output


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.yaml", b"interactions: [\n", "broken.yaml:2: not a YAML or JSON cassette"),
        ("latin.yaml", b"a: 1\nb: caf\xe9\n", "latin.yaml:2: not UTF-8 text"),
    ],
)
def test_check_command_exits_2_on_unreadable_input(
    tmp_path: Path, name: str, content: bytes, message: str
):
    (tmp_path / name).write_bytes(content)
    (tmp_path / "leak.yaml").write_text(CLEAN + f"k: {KEY}\n")
    result = CliRunner().invoke(cassettes, ["check", str(tmp_path)])
    assert result.exit_code == 2
    assert message in result.output
    assert "leak.yaml:17: openai-style key" in result.output  # the other files are still scanned


def test_check_command_exits_2_on_a_missing_path(tmp_path: Path):
    missing = CliRunner().invoke(cassettes, ["check", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_check_command_matches_a_secret_as_a_token_unless_told_otherwise(tmp_path: Path):
    (tmp_path / "c.yaml").write_text(as_yaml(cassette(json.dumps({"q": "football"}).encode())))
    assert CliRunner().invoke(cassettes, ["check", "--secret", "foo", str(tmp_path)]).exit_code == 0
    result = CliRunner().invoke(
        cassettes, ["check", "--secret", "foo", "--substring", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "whole token" in CliRunner().invoke(cassettes, ["check", "--help"]).output
