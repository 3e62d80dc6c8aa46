"""The MCP endpoint in-process: the SDK's own client over Streamable HTTP through the ASGI app.

HTTP mocking: the MCP client speaks httpx2 (the SDK's HTTP stack), which respx does not patch,
so these tests never mock the MCP side: the client drives the real app through
``httpx2.ASGITransport`` (and, in ``test_mcp_serve.py``, a real socket). Upstream behaviour is
set where the proxy meets its upstream, on the proxy's httpx client: the offline mock with
:class:`~harness.mock.faults.Faults` (respx would work there too, since that client is httpx).
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import httpx2
import pytest
from jsonschema import Draft202012Validator
from mcp.shared.exceptions import MCPError
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS

from harness.contract.load import TOOL_HINTS, load_manifest
from harness.contract.tools import tool_definition
from harness.mcp_client import IN_PROCESS_ORIGIN, connect
from harness.mock.app import MOCK_BASE_URL, create_mock_app
from harness.mock.faults import Faults
from harness.offline import create_proxy
from harness.proxy.ratelimit import Rate
from harness.proxy.settings import ProxySettings

SECRET = "mcp-test-secret-4f1c"
AUTH = {"Authorization": f"Bearer {SECRET}"}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": HANDSHAKE_PROTOCOL_VERSIONS[-1],
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}
HINT_FIELDS = {
    "readOnlyHint": "read_only_hint",
    "destructiveHint": "destructive_hint",
    "idempotentHint": "idempotent_hint",
    "openWorldHint": "open_world_hint",
}


def proxy(faults: Faults | None = None, **settings: object):
    options = {"chatgpt_secret": SECRET, "upstream_url": MOCK_BASE_URL, **settings}
    transport = httpx.ASGITransport(app=create_mock_app(faults=faults), raise_app_exceptions=False)
    return create_proxy(ProxySettings(**options), upstream_transport=transport)


def read_log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_both_protocol_eras_connect_list_and_call(mode: str) -> None:
    async with connect(app=proxy(), token=SECRET, mode=mode) as client:
        expected = MODERN_PROTOCOL_VERSIONS if mode == "auto" else HANDSHAKE_PROTOCOL_VERSIONS
        assert client.protocol_version in expected
        assert client.server_info is not None and client.server_info.name == "podcast_search"
        assert client.instructions == load_manifest()["description_for_model"]
        tools = (await client.list_tools()).tools
        result = await client.call_tool("getLanguages", {})
    assert len(tools) == 13
    assert not result.is_error
    assert result.structured_content["languages"]


async def test_tools_come_from_the_spec_and_its_x_tool_metadata(spec) -> None:
    async with connect(app=proxy(), token=SECRET) as client:
        tools = (await client.list_tools()).tools
    assert [tool.name for tool in tools] == list(spec.operations)
    for tool in tools:
        operation = spec.operations[tool.name]
        definition = tool_definition(operation)
        assert (tool.description, tool.input_schema) == (
            definition.description,
            definition.parameters,
        )
        assert tool.output_schema == operation.response_schema
        assert tool.title == tool.annotations.title == operation.tool.title
        for hint in TOOL_HINTS:
            assert getattr(tool.annotations, HINT_FIELDS[hint]) == operation.tool.hint(hint)


async def test_a_call_returns_what_the_rest_route_returns(spec, tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    app = proxy(request_log=log)
    arguments = {"q": "startup", "page_size": 3, "language": "English", "bogus": 1}
    async with connect(app=app, token=SECRET) as client:
        result = await client.call_tool("searchPodcasts", arguments)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=IN_PROCESS_ORIGIN) as rest:
            response = await rest.get(
                "/api/v2/search_podcasts",
                params={"q": "startup", "page_size": 3, "language": "English", "bogus": 1},
                headers=AUTH,
            )
    assert not result.is_error
    assert result.structured_content == response.json()
    assert json.loads(result.content[0].text) == result.structured_content
    Draft202012Validator(spec.operations["searchPodcasts"].response_schema).validate(
        result.structured_content
    )
    mcp_line, rest_line = read_log(log)
    assert (mcp_line["surface"], rest_line["surface"]) == ("mcp", "rest")
    for line in (mcp_line, rest_line):
        assert line["operation"] == "searchPodcasts"
        assert line["params"] == {"q": "startup", "page_size": 3, "language": "English"}
        assert line["ignored_params"] == ["bogus"]
        assert line["status"] == 200
    assert SECRET not in log.read_text()


@pytest.mark.parametrize(
    ("name", "arguments", "query", "code", "parameter"),
    [
        (
            "searchPodcasts",
            {"q": "x", "page_size": 0},
            {"q": "x", "page_size": 0},
            "invalid_parameter",
            "page_size",
        ),
        (
            "searchPodcasts",
            {"q": "x", "sort_by_date": 2},
            {"q": "x", "sort_by_date": 2},
            "invalid_parameter",
            "sort_by_date",
        ),
        ("searchPodcasts", {"page_size": 3}, {"page_size": 3}, "missing_parameter", "q"),
    ],
)
async def test_invalid_arguments_get_the_rest_error_envelope(
    name: str, arguments: dict, query: dict, code: str, parameter: str
) -> None:
    app = proxy()
    async with connect(app=app, token=SECRET) as client:
        result = await client.call_tool(name, arguments)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=IN_PROCESS_ORIGIN) as rest:
            response = await rest.get("/api/v2/search_podcasts", params=query, headers=AUTH)
    assert result.is_error
    assert result.structured_content == response.json()
    error = result.structured_content["error"]
    assert (error["status"], error["code"], error["parameter"]) == (400, code, parameter)
    assert json.loads(result.content[0].text) == result.structured_content


@pytest.mark.parametrize(
    ("arguments", "detail"),
    [
        ({"id": 42}, "is not of type 'string'"),
        ({"id": None}, "got null"),
        ({"id": ["a"]}, "got list"),
        ({}, "Missing required parameter 'id'"),
    ],
)
async def test_typed_arguments_are_checked_against_the_schema(arguments: dict, detail: str) -> None:
    async with connect(app=proxy(), token=SECRET) as client:
        result = await client.call_tool("getPodcast", arguments)
    assert result.is_error
    assert detail in result.structured_content["error"]["message"]


async def test_an_integral_float_is_forwarded_as_an_integer(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    async with connect(app=proxy(request_log=log), token=SECRET) as client:
        result = await client.call_tool("searchPodcasts", {"q": "chess", "page_size": 2.0})
    assert not result.is_error
    assert read_log(log)[0]["params"]["page_size"] == 2


async def test_an_unknown_tool_is_a_json_rpc_invalid_params_error() -> None:
    async with connect(app=proxy(), token=SECRET) as client:
        with pytest.raises(MCPError, match="Unknown tool: deleteEverything") as error:
            await client.call_tool("deleteEverything", {})
    assert error.value.error.code == -32602


@pytest.mark.parametrize(
    ("faults", "status", "code"),
    [
        (Faults(status=500), 502, "upstream_error"),
        (Faults(status=429), 429, "upstream_rate_limited"),
        (Faults(malformed_json=True), 502, "upstream_invalid_response"),
    ],
)
async def test_an_upstream_fault_is_an_error_result_not_a_protocol_error(
    faults: Faults, status: int, code: str, tmp_path: Path
) -> None:
    log = tmp_path / "requests.jsonl"
    async with connect(app=proxy(faults, request_log=log, retries=0), token=SECRET) as client:
        result = await client.call_tool("getGenres", {})
    assert result.is_error
    assert result.structured_content["error"]["status"] == status
    assert result.structured_content["error"]["code"] == code
    assert "Traceback" not in result.content[0].text
    (line,) = read_log(log)
    assert (line["surface"], line["status"], line["error"]) == ("mcp", status, code)


async def test_refusal_is_401_with_the_protected_resource_challenge() -> None:
    app = proxy(authorization_servers=("https://auth.example.com",))
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(
            transport=transport, base_url="http://127.0.0.1:8000"
        ) as http:
            missing = await http.post("/mcp", json=INITIALIZE, headers=MCP_HEADERS)
            wrong = await http.post(
                "/mcp",
                json=INITIALIZE,
                headers={**MCP_HEADERS, "Authorization": "Bearer nope"},
            )
            challenged = missing.headers["www-authenticate"].split('"')[1]
            metadata = await http.get(challenged.removeprefix("http://127.0.0.1:8000"))
            by_path = await http.get("/.well-known/oauth-protected-resource/mcp")
    metadata_url = "http://127.0.0.1:8000/.well-known/oauth-protected-resource"
    assert missing.status_code == wrong.status_code == 401
    assert missing.headers["www-authenticate"] == f'Bearer resource_metadata="{metadata_url}"'
    assert wrong.headers["www-authenticate"] == (
        f'Bearer resource_metadata="{metadata_url}", error="invalid_token"'
    )
    assert missing.json()["error"]["code"] == "unauthorized"
    assert metadata.status_code == by_path.status_code == 200
    assert (
        metadata.json()
        == by_path.json()
        == {
            "resource": "http://127.0.0.1:8000/mcp",
            "authorization_servers": ["https://auth.example.com"],
            "bearer_methods_supported": ["header"],
            "resource_name": "Podcast Search",
        }
    )


@pytest.mark.parametrize(
    ("base_url", "origin", "status"),
    [
        ("http://127.0.0.1:8000", "https://evil.example", 403),
        ("http://evil.example", None, 421),
        ("http://mcp.example.com", None, 200),
        ("http://127.0.0.1:8000", "https://chat.example.com", 200),
        ("http://localhost:8000", "http://localhost:8000", 200),
    ],
)
async def test_host_and_origin_are_checked_before_anything_else(
    base_url: str, origin: str | None, status: int
) -> None:
    app = proxy(allowed_hosts=("mcp.example.com",), cors_origins=("https://chat.example.com",))
    headers = {**MCP_HEADERS, **AUTH, **({"Origin": origin} if origin else {})}
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url=base_url) as http:
            response = await http.post("/mcp", json=INITIALIZE, headers=headers)
    assert response.status_code == status, response.text


async def test_cors_preflight_allows_the_mcp_headers_for_configured_origins() -> None:
    app = proxy(cors_origins=("https://chat.example.com",))
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url=IN_PROCESS_ORIGIN) as http:
        preflight = await http.options(
            "/mcp",
            headers={
                "Origin": "https://chat.example.com",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]


async def test_rate_limit_counts_tool_calls_and_rest_calls_in_one_budget() -> None:
    app = proxy(rate_limit=Rate(2, 60.0))
    async with connect(app=app, token=SECRET) as client:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=IN_PROCESS_ORIGIN) as rest:
            first = await rest.get("/api/v2/languages", headers=AUTH)
        second = await client.call_tool("getLanguages", {})
        third = await client.call_tool("getLanguages", {})
    assert first.status_code == 200
    assert not second.is_error
    assert third.is_error
    assert third.structured_content["error"]["code"] == "rate_limited"


async def test_a_custom_path_and_no_auth() -> None:
    app = proxy(chatgpt_secret=None, no_auth=True, mcp_path="/tools/mcp")
    async with connect(app=app) as client:
        result = await client.call_tool("getRegions", {})
    assert not result.is_error
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url=IN_PROCESS_ORIGIN) as http:
        assert (await http.get("/.well-known/oauth-protected-resource")).status_code == 404


async def test_the_lifespan_can_run_again_and_the_endpoint_needs_it() -> None:
    app = proxy()
    for _ in range(2):
        async with connect(app=app, token=SECRET) as client:
            assert not (await client.call_tool("getRegions", {})).is_error
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url=IN_PROCESS_ORIGIN) as http:
        with pytest.raises(RuntimeError, match="not running"):
            await http.post("/mcp", json=INITIALIZE, headers={**MCP_HEADERS, **AUTH})


async def test_two_authorization_headers_and_failed_logins_are_refused_as_on_rest() -> None:
    app = proxy(rate_limit=Rate(3, 60.0))
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url=IN_PROCESS_ORIGIN) as http:
            doubled = await http.post(
                "/mcp",
                json=INITIALIZE,
                headers=httpx2.Headers(
                    [*MCP_HEADERS.items(), ("Authorization", f"Bearer {SECRET}"),
                     ("Authorization", "Bearer other")]
                ),
            )  # fmt: skip
            wrong = [
                await http.post(
                    "/mcp", json=INITIALIZE, headers={**MCP_HEADERS, "Authorization": "Bearer no"}
                )
                for _ in range(2)
            ]
            # The address spent its budget of failed authentications: refused before the
            # (correct) token is checked, with a 429 and no authentication challenge.
            locked = await http.post(
                "/mcp",
                json=INITIALIZE,
                headers={**MCP_HEADERS, "Authorization": f"Bearer {SECRET}"},
            )
    assert doubled.status_code == 401
    assert [response.status_code for response in wrong] == [401, 401]
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "rate_limited"
    assert "www-authenticate" not in locked.headers
