"""No secret value reaches the request log, a response, or the log output.

The only allowed appearance is the verification token inside the served manifest, which is
where the plugin platform reads it by design.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import httpx
import pytest

from harness.proxy.settings import ProxySettings

pytestmark = pytest.mark.integration  # starts servers or subprocesses

CHATGPT_SECRET = "chatgpt-secret-7f3a9c2e41d8"
LISTEN_API_KEY = "listen-key-0b5e8d6a93c1"
VERIFICATION_TOKEN = "verification-token-5c2d7e9a"
SECRETS = (CHATGPT_SECRET, LISTEN_API_KEY, VERIFICATION_TOKEN)
UPSTREAM = "https://upstream.test/api/v2"
AUTH = {"Authorization": f"Bearer {CHATGPT_SECRET}"}


def exposed(response: httpx.Response) -> str:
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return f"{response.status_code}\n{headers}\n{response.text}"


@pytest.mark.respx(base_url=UPSTREAM, assert_all_called=False)
async def test_no_secret_in_request_log_responses_or_log_records(
    respx_mock, make_proxy_client, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    genres = respx_mock.get("/genres").respond(
        200, json={"genres": []}, headers={"X-ListenAPI-Usage": "1"}
    )
    respx_mock.get("/episodes/e401").respond(401, json={"error": LISTEN_API_KEY})
    respx_mock.get("/episodes/e429").respond(429, headers={"Retry-After": "3"})
    respx_mock.get("/episodes/e500").respond(500, text=f"key={LISTEN_API_KEY}")
    respx_mock.get("/episodes/boom").mock(side_effect=RuntimeError(f"boom {LISTEN_API_KEY}"))
    respx_mock.get("/episodes/down").mock(side_effect=httpx.ConnectError("refused"))
    log_path = tmp_path / "requests.jsonl"
    settings = ProxySettings(
        chatgpt_secret=CHATGPT_SECRET,
        listen_api_key=LISTEN_API_KEY,
        verification_token=VERIFICATION_TOKEN,
        upstream_url=UPSTREAM,
        request_log=log_path,
        retries=1,
    )
    responses = []
    async with make_proxy_client(settings) as client:
        manifest = await client.get("/.well-known/ai-plugin.json")
        for path in (
            "/genres",
            "/genres?top_level_only=7",
            "/episodes/e401",
            "/episodes/e429",
            "/episodes/e500",
            "/episodes/boom",
            "/episodes/down",
        ):
            responses.append(await client.get("/api/v2" + path, headers=AUTH))
        responses.append(await client.get("/api/v2/genres", headers={"Authorization": "Bearer x"}))
        responses.append(await client.get("/openapi.json"))

    assert genres.calls.last.request.headers["X-ListenAPI-Key"] == LISTEN_API_KEY
    assert VERIFICATION_TOKEN in manifest.text
    assert [r.status_code for r in responses] == [200, 400, 502, 429, 502, 502, 502, 401, 200]
    request_log = log_path.read_text()
    assert request_log.count("\n") == 8
    for secret in SECRETS:
        assert secret not in request_log
        assert secret not in caplog.text
        for response in responses:
            assert secret not in exposed(response)
    for secret in (CHATGPT_SECRET, LISTEN_API_KEY):
        assert secret not in exposed(manifest)


def test_no_secret_on_stderr_of_a_running_server(serve_proxy, tmp_path):
    env = {
        **os.environ,
        "CHATGPT_SECRET": CHATGPT_SECRET,
        "LISTEN_API_KEY": LISTEN_API_KEY,
        "CHATGPT_VERIFICATION_TOKEN": VERIFICATION_TOKEN,
    }
    dead_upstream = "http://127.0.0.1:9/api/v2"
    log_path = tmp_path / "requests.jsonl"
    args = [
        "--upstream",
        dead_upstream,
        "--retries",
        "1",
        "--request-log",
        str(log_path),
        "--log-level",
        "debug",
    ]
    with serve_proxy(args, env) as server, httpx.Client(base_url=server.base_url) as client:
        statuses = [
            client.get("/api/v2/genres", headers=AUTH).status_code,
            client.get("/api/v2/genres", headers={"Authorization": "Bearer no"}).status_code,
            client.get("/api/v2/search_podcasts?q=", headers=AUTH).status_code,
            client.get(f"/api/v2/genres?leak={LISTEN_API_KEY}", headers=AUTH).status_code,
        ]
    output = server.output()
    assert statuses == [502, 401, 400, 502]
    assert "retry 1 of 1" in output
    assert "GET /api/v2/genres?leak=[REDACTED]" in output
    for secret in SECRETS:
        assert secret not in output
        assert secret not in log_path.read_text()


def test_refusal_message_names_no_secret():
    env = {**os.environ, "LISTEN_API_KEY": LISTEN_API_KEY}
    env.pop("CHATGPT_SECRET", None)
    result = subprocess.run(
        [sys.executable, "-c", "from harness.cli import main; main()", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "CHATGPT_SECRET is not set" in result.stderr
    assert LISTEN_API_KEY not in result.stderr + result.stdout
