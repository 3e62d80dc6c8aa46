"""The MCP endpoint of a real `harness serve` on loopback, driven by the SDK's own client over
real HTTP: connect, list, call, the auth refusal, invalid arguments and an upstream fault."""

from __future__ import annotations

import json
import os
import socket

import httpx2
import pytest

from harness.mcp_client import connect

pytestmark = pytest.mark.integration  # starts servers or subprocesses

SECRET = "serve-mcp-secret-93ab"
PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def env() -> dict[str, str]:
    names = ("CHATGPT_SECRET", "LISTEN_API_KEY", "CHATGPT_VERIFICATION_TOKEN")
    return {**{k: v for k, v in os.environ.items() if k not in names}, "CHATGPT_SECRET": SECRET}


async def test_connect_list_call_and_invalid_arguments_over_http(serve_proxy, env, tmp_path):
    log = tmp_path / "requests.jsonl"
    args = ["--request-log", str(log), "--authorization-server", "https://auth.example.com"]
    with serve_proxy(args, env) as server:
        async with connect(server.base_url + "/mcp", token=SECRET) as client:
            tools = (await client.list_tools()).tools
            found = await client.call_tool("searchEpisodes", {"q": "startup", "page_size": 2})
            invalid = await client.call_tool("searchEpisodes", {"q": "startup", "offset": -1})
        async with httpx2.AsyncClient(base_url=server.base_url) as http:
            refused = await http.post("/mcp", json=PING, headers=MCP_HEADERS)
            metadata = await http.get("/.well-known/oauth-protected-resource")
    assert len(tools) == 13
    assert not found.is_error and len(found.structured_content["results"]) == 2
    assert invalid.is_error
    assert invalid.structured_content["error"]["parameter"] == "offset"
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == (
        f'Bearer resource_metadata="{server.base_url}/.well-known/oauth-protected-resource"'
    )
    assert metadata.json()["authorization_servers"] == ["https://auth.example.com"]
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(line["surface"], line["status"]) for line in lines] == [("mcp", 200), ("mcp", 400)]
    assert SECRET not in log.read_text() + server.output()


async def test_an_unreachable_upstream_is_an_error_result_over_http(serve_proxy, env):
    upstream = f"http://127.0.0.1:{closed_port()}/api/v2"
    with serve_proxy(["--upstream", upstream, "--retries", "0"], env) as server:
        async with connect(server.base_url + "/mcp", token=SECRET) as client:
            result = await client.call_tool("getEpisode", {"id": "abc"})
    assert result.is_error
    error = result.structured_content["error"]
    assert (error["status"], error["code"]) == (502, "upstream_unreachable")
    assert "Traceback" not in result.content[0].text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--authorization-server", "auth.example.com"], "not an absolute http(s) URL"),
        (["--mcp-path", "mcp"], "the MCP path must start with /"),
        (["--mcp-path", "/openapi.json"], "is already a route of the proxy"),
    ],
)
def test_bad_mcp_options_are_refused_at_start(args: list[str], message: str, env) -> None:
    from click.testing import CliRunner

    from harness.cli import main

    outcome = CliRunner().invoke(main, ["serve", *args], env=env)
    assert outcome.exit_code != 0
    assert message in outcome.output
