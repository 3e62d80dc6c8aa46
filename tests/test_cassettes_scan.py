"""Secret scanning: `harness cassettes check` and the scan of every committed cassette."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cassettes.cli import cassettes
from harness.cassettes.scan import scan_paths, scan_text
from harness.cassettes.scrub import secrets_from_env

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


@pytest.mark.parametrize(
    ("leak", "rule"),
    [
        ("    note: sk-proj-AbCdEfGhIjKlMnOpQrStUv\n", "openai-style key"),
        ("    note: 'Bearer eyJhbGciOiJIUzI1NiJ9'\n", "bearer token"),
        ("      X-ListenAPI-Key:\n      - 0123456789abcdef\n", "credential header"),
        ('    {"headers": {"authorization": ["Basic dXNlcjpwYXNz"]}}\n', "credential header value"),
        (
            "    uri: https://listen-api.listennotes.com/api/v2/genres?api_key=abc123\n",
            "credential query parameter",
        ),
    ],
)
def test_each_kind_of_secret_is_found_with_its_line(leak: str, rule: str):
    text = CLEAN + leak
    findings = scan_text(text, Path("c.yaml"))
    assert [f.rule for f in findings] == [rule]
    assert findings[0].line == CLEAN.count("\n") + 1
    assert str(findings[0]).startswith(f"c.yaml:{findings[0].line}: {rule}: ")


def test_a_clean_cassette_has_no_findings_and_redacted_values_are_fine():
    redacted = CLEAN + "    uri: http://x/a?api_key=%3CREDACTED%3E\n    auth: Bearer <REDACTED>\n"
    assert scan_text(redacted, Path("c.yaml")) == []


def test_findings_do_not_repeat_the_secret():
    finding = scan_text("x: sk-abcdefghijklmnopqrstuvwxyz\n", Path("c.yaml"))[0]
    assert "ghijklmnop" not in str(finding)


def test_configured_values_are_found(tmp_path: Path):
    (tmp_path / "m" / "case").mkdir(parents=True)
    (tmp_path / "m" / "case" / "0.yaml").write_text(CLEAN + "    x: hunter2-password\n")
    findings = scan_paths([tmp_path], secrets=["hunter2-password"])
    assert [(f.rule, f.line) for f in findings] == [("configured secret value", 17)]
    assert "hunter2" not in str(findings[0])


def test_secret_environment_values_are_collected():
    environ = {"LISTEN_API_KEY": "abcdefgh1234", "MY_TOKEN": "short", "HOME": "/root/abcdefgh"}
    assert secrets_from_env(environ) == ["abcdefgh1234"]


def test_check_command_exits_1_naming_file_and_line(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(CLEAN + "    h: Bearer abcdefghijklmnop\n")
    (tmp_path / "good.json").write_text('{"interactions": []}')
    result = CliRunner().invoke(cassettes, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{bad}:17: bearer token" in result.output


def test_check_command_passes_on_clean_files_and_rejects_missing_paths(tmp_path: Path):
    (tmp_path / "good.yaml").write_text(CLEAN)
    assert CliRunner().invoke(cassettes, ["check", str(tmp_path)]).exit_code == 0
    missing = CliRunner().invoke(cassettes, ["check", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "no such file" in missing.output
