"""`harness eval --surface mcp`: the model's tools from tools/list, calls through tools/call.

Identical tools must give identical model requests, so the committed cassettes replay for the
MCP surface with zero stale cases and the verdicts of the OpenAPI surface.
"""

from __future__ import annotations

import copy
import json
import os
import socket
from pathlib import Path

import httpx
import pytest
import respx
from click.testing import CliRunner
from fakes import MODEL_URL, run_config, scripted_model

from harness.cli import main
from harness.contract.load import DEFAULT_SPEC_PATH, load_spec
from harness.contract.tools import function_tools, operations_to_tools
from harness.eval.mcp_surface import definitions_of, tool_differences
from harness.eval.runner import RunConfig, RunError, run_eval
from harness.mcp_client import connect
from harness.mock.app import MOCK_BASE_URL, create_mock_app
from harness.offline import create_offline_app, create_proxy
from harness.proxy.request_log import read_records
from harness.proxy.settings import ProxySettings

SUITE = """\
cases:
  - id: startup-en
    prompt: startup podcasts in English
    expect:
      - operation: searchPodcasts
        arguments: {q: startup, language: English}
  - id: genres
    prompt: list the podcast genres
    expect:
      - operation: getGenres
"""
CALLS = {
    "startup podcasts in English": ("searchPodcasts", '{"q": "startup", "language": "English"}'),
    "list the podcast genres": ("getGenres", '{"top_level_only": 1}'),
}


fake_model = scripted_model({prompt: [call] for prompt, call in CALLS.items()})


@pytest.fixture(autouse=True)
def api_key(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-mcp-surface-0123")


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE, encoding="utf-8")
    return path


def trimmed_spec(tmp_path: Path, *paths: str) -> Path:
    document = json.loads(DEFAULT_SPEC_PATH.read_text())
    for path in paths:
        del document["paths"][path]
    target = tmp_path / "openapi.json"
    target.write_text(json.dumps(document))
    return target


@pytest.mark.parametrize("strict", [False, True])
async def test_tools_list_gives_exactly_the_spec_function_tools(strict: bool) -> None:
    spec = load_spec()
    async with connect(app=create_offline_app("s3cret-value"), token="s3cret-value") as client:
        listed = (await client.list_tools()).tools
    actual = function_tools(definitions_of(listed), strict)
    expected = operations_to_tools(spec, strict)
    differences = tool_differences(expected, actual)
    assert not differences, "tools/list differs from the spec's tools:\n" + "\n".join(differences)
    assert json.dumps(actual) == json.dumps(expected)


def test_tool_differences_name_the_tool_and_the_json_pointer() -> None:
    expected = operations_to_tools(load_spec())
    actual = copy.deepcopy(expected)
    actual[4]["function"]["description"] = "Genres."
    del actual[4]["function"]["parameters"]["properties"]["top_level_only"]["enum"]
    actual[0]["function"]["parameters"]["properties"]["q"]["maxLength"] = 100
    del actual[12]
    assert tool_differences(expected, actual) == [
        "tool getCuratedList: missing",
        "tool getGenres at /function/description: expected "
        f"{expected[4]['function']['description']!r}, got 'Genres.'",
        "tool getGenres at /function/parameters/properties/top_level_only/enum: "
        "missing (expected [0, 1])",
        "tool searchPodcasts at /function/parameters/properties/q/maxLength: expected 200, got 100",
    ]


async def test_committed_cassettes_replay_for_both_surfaces_with_the_same_verdicts(
    tmp_path: Path,
) -> None:
    verdicts = {}
    for surface in ("openapi", "mcp"):
        config = RunConfig(out=tmp_path / surface, progress=False, surface=surface)
        summary = await run_eval(config)
        assert summary.status_counts["stale"] == 0, surface
        assert summary.run["surface"] == surface
        verdicts[surface] = {r.case_id: (r.status, r.score, r.reason) for r in summary.results}
    assert len(verdicts["mcp"]) == 118
    assert verdicts["mcp"] == verdicts["openapi"]


@respx.mock(base_url=MODEL_URL)
async def test_execute_goes_through_tools_call_and_feeds_back_the_rest_json(
    respx_mock, tmp_path: Path, suite: Path
) -> None:
    route = respx_mock.post("/chat/completions").mock(side_effect=fake_model)
    transcripts = {}
    for surface in ("openapi", "mcp"):
        config = run_config(
            tmp_path / surface, suite, execute=True, surface=surface, case_ids=("startup-en",)
        )
        summary = await run_eval(config)
        (result,) = [r.to_dict() for r in summary.results]
        assert result["status"] == "pass"
        transcripts[surface] = result["transcript"]
        # Both surfaces log their calls to the run's request log, which budgets are read from.
        (logged,) = read_records(summary.run_dir / "requests.jsonl")
        assert logged["surface"] == {"openapi": "rest", "mcp": "mcp"}[surface]
        assert logged["operation"] == "searchPodcasts" and logged["response_chars"] > 0
    assert transcripts["mcp"] == transcripts["openapi"]
    assert transcripts["mcp"][3]["role"] == "tool"
    assert transcripts["mcp"][3]["content"].startswith('{"count":')
    assert route.call_count == 4


async def test_a_server_without_the_suites_tools_is_named_with_what_is_missing(
    tmp_path: Path, suite: Path
) -> None:
    spec = load_spec(trimmed_spec(tmp_path, "/genres", "/regions"))

    def proxy_app(secret: str):
        settings = ProxySettings(chatgpt_secret=secret, upstream_url=MOCK_BASE_URL)
        transport = httpx.ASGITransport(app=create_mock_app())
        return create_proxy(settings, spec=spec, upstream_transport=transport)

    config = run_config(tmp_path, suite, surface="mcp", record="none")
    with pytest.raises(RunError, match=r"no tool for 1 of the suite's operations: getGenres$"):
        await run_eval(config, proxy_app=proxy_app)
    assert not list((tmp_path / "reports").glob("*")), "a refused start leaves no run directory"


async def test_mcp_url_reads_a_running_server_and_names_its_missing_tools(
    serve_proxy, tmp_path: Path, suite: Path, monkeypatch
) -> None:
    spec_path = trimmed_spec(tmp_path, "/search_podcasts", "/genres")
    env = {k: v for k, v in os.environ.items() if k != "LISTEN_API_KEY"}
    env["CHATGPT_SECRET"] = "url-secret-9d2e"
    monkeypatch.setenv("CHATGPT_SECRET", "url-secret-9d2e")
    with serve_proxy(["--spec", str(spec_path)], env) as server:
        config = run_config(
            tmp_path, suite, surface="mcp", mcp_url=server.base_url + "/mcp", record="none"
        )
        with pytest.raises(RunError) as error:
            await run_eval(config)
    assert str(error.value) == (
        f"{server.base_url}/mcp has no tool for 2 of the suite's operations: "
        "getGenres, searchPodcasts"
    )


async def test_an_unreachable_mcp_url_is_a_clear_error(tmp_path: Path, suite: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/mcp"
    config = run_config(tmp_path, suite, surface="mcp", mcp_url=url, record="none")
    with pytest.raises(RunError, match=f"cannot list the tools of {url}: "):
        await run_eval(config)


async def test_mcp_url_needs_the_mcp_surface(tmp_path: Path, suite: Path) -> None:
    config = run_config(tmp_path, suite, mcp_url="http://127.0.0.1:1/mcp")
    with pytest.raises(RunError, match="--mcp-url needs --surface mcp"):
        await run_eval(config)


@respx.mock(base_url=MODEL_URL)
async def test_the_in_process_server_serves_the_runs_spec(
    respx_mock, tmp_path: Path, suite: Path
) -> None:
    route = respx_mock.post("/chat/completions").mock(side_effect=fake_model)
    document = json.loads(DEFAULT_SPEC_PATH.read_text())
    document["paths"]["/genres"]["get"]["description"] = "Genres, as this run's spec says."
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(document))
    config = run_config(tmp_path, suite, surface="mcp", spec=spec, case_ids=("genres",))

    await run_eval(config)

    tools = json.loads(route.calls.last.request.content)["tools"]
    (genres,) = [tool for tool in tools if tool["function"]["name"] == "getGenres"]
    assert genres["function"]["description"] == "Genres, as this run's spec says."


def test_the_eval_command_takes_the_surface_options(tmp_path: Path) -> None:
    args = ["eval", "--surface", "mcp", "--case", "search-podcasts-startup-en", "--quiet"]
    outcome = CliRunner().invoke(main, [*args, "--out", str(tmp_path)])
    assert outcome.exit_code == 0, outcome.output
    (run_dir,) = tmp_path.iterdir()
    assert json.loads((run_dir / "run.json").read_text())["surface"] == "mcp"
    refused = CliRunner().invoke(main, ["eval", "--mcp-url", "http://127.0.0.1:1/mcp"])
    assert refused.exit_code == 2
    assert "--mcp-url needs --surface mcp" in refused.output
