"""The function-calling loop: tool-call hygiene, execution against a proxy, turn limits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from harness.contract.load import Spec, load_spec
from harness.contract.tools import operations_to_tools
from harness.eval.backends import BackendError, Completion, RawToolCall
from harness.eval.loop import (
    MAX_TOOL_RESULT_CHARS,
    parse_tool_call,
    proxy_executor,
    run_conversation,
    tool_validators,
    truncate,
)
from harness.results import ToolCall

SYSTEM = {"role": "system", "content": "Use the podcast tools."}
USER = {"role": "user", "content": "startup podcasts in English"}


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec()


@pytest.fixture(scope="module")
def tools(spec: Spec) -> list[dict]:
    return operations_to_tools(spec)


class ScriptedBackend:
    """Answers each turn with the next scripted list of (name, arguments) calls, or text."""

    name = "scripted"
    model = "scripted-model"
    model_version = None
    base_url = "http://scripted/v1"

    def __init__(self, *turns: list[tuple[str, str]] | str | Exception) -> None:
        self.turns = list(turns)
        self.seen: list[list[dict[str, Any]]] = []

    def transport(self) -> httpx.AsyncBaseTransport:
        raise AssertionError("not used")

    async def complete(
        self,
        messages: Sequence[dict[str, Any]],
        tools: Sequence[dict[str, Any]],
        *,
        transport: httpx.AsyncBaseTransport,
    ) -> Completion:
        self.seen.append([dict(message) for message in messages])
        turn = self.turns.pop(0)
        if isinstance(turn, Exception):
            raise turn
        if isinstance(turn, str):
            return Completion({"role": "assistant", "content": turn}, (), 10, 2, 0.01)
        calls = tuple(
            RawToolCall(f"call_{index}", name, arguments)
            for index, (name, arguments) in enumerate(turn)
        )
        message = {
            "role": "assistant",
            "tool_calls": [
                {"id": c.id, "function": {"name": c.name, "arguments": c.arguments}} for c in calls
            ],
        }
        return Completion(message, calls, 100, 20, 0.5)

    async def aclose(self) -> None:
        return None


def echo_proxy() -> Starlette:
    async def echo(request: Request) -> JSONResponse:
        return JSONResponse({"path": request.url.path, "query": dict(request.query_params)})

    return Starlette(routes=[Route("/api/v2/{rest:path}", echo)])


def proxy_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=echo_proxy()), base_url="http://proxy.local"
    )


async def converse(backend: ScriptedBackend, tools: list[dict], **options: Any):
    async with httpx.AsyncHTTPTransport() as transport:
        return await run_conversation(
            backend, [SYSTEM, USER], tools, transport=transport, **options
        )


@pytest.mark.parametrize(
    ("name", "arguments", "error", "code"),
    [
        ("searchPodcasts", '{"q": "startup", "language": "English"}', None, None),
        ("getRegions", "", None, None),
        ("searchPodcasts", '{"q": "startup",', "arguments are not valid JSON", "invalid_json"),
        (
            "searchPodcasts",
            '["startup"]',
            "arguments are a JSON list, not object",
            "arguments_not_object",
        ),
        ("findPodcasts", '{"q": "startup"}', "unknown tool 'findPodcasts'", "unknown_tool"),
        (
            "searchPodcasts",
            '{"language": "English"}',
            "'q' is a required property",
            "schema_violation",
        ),
        (
            "searchPodcasts",
            '{"q": "x", "page_size": 50}',
            "at /page_size: 50 is greater than",
            "schema_violation",
        ),
        (
            "searchPodcasts",
            '{"q": "x", "sort_by_date": 2}',
            "at /sort_by_date: 2 is not one of",
            "schema_violation",
        ),
        # The spec's patterns are ECMA-262, as the proxy enforces them: `$` is not before "\n".
        (
            "searchPodcasts",
            '{"q": "x", "region": "us\\n"}',
            "at /region: 'us\\n' does not match",
            "schema_violation",
        ),
    ],
)
def test_parse_tool_call_records_every_problem(tools, name, arguments, error, code) -> None:
    call = parse_tool_call(RawToolCall("c1", name, arguments), tool_validators(tools))
    assert call.error_code == code
    assert call.name == name
    assert call.raw_arguments == arguments
    if error is None:
        assert call.error is None
        assert call.arguments == (json.loads(arguments) if arguments else {})
    else:
        assert error in call.error


async def test_without_execute_one_turn_is_recorded(tools) -> None:
    backend = ScriptedBackend([("searchPodcasts", '{"q": "startup"}'), ("getGenres", "{bad")])
    conversation = await converse(backend, tools)
    assert conversation.turns == 1
    assert [call.name for call in conversation.calls] == ["searchPodcasts", "getGenres"]
    assert conversation.calls[0] == ToolCall("searchPodcasts", {"q": "startup"}, '{"q": "startup"}')
    assert conversation.calls[1].error.startswith("arguments are not valid JSON")
    assert [m["role"] for m in conversation.transcript] == ["system", "user", "assistant"]
    assert (conversation.prompt_tokens, conversation.completion_tokens) == (100, 20)
    assert conversation.latency_s == pytest.approx(0.5)


async def test_execute_feeds_proxy_results_back_until_the_model_answers(spec, tools) -> None:
    backend = ScriptedBackend(
        [("getPodcast", '{"id": "4d3fe717742d4963a85562e9f84d8c79", "sort": "oldest_first"}')],
        "Here is the podcast.",
    )
    async with proxy_client() as proxy:
        conversation = await converse(
            backend, tools, execute=proxy_executor(spec, proxy), max_turns=3
        )
    assert conversation.turns == 2
    assert [m["role"] for m in conversation.transcript] == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
    ]
    tool_message = conversation.transcript[3]
    assert tool_message["tool_call_id"] == "call_0"
    assert json.loads(tool_message["content"]) == {
        "path": "/api/v2/podcasts/4d3fe717742d4963a85562e9f84d8c79",
        "query": {"sort": "oldest_first"},
    }
    assert backend.seen[1][-1] == tool_message
    assert (conversation.prompt_tokens, conversation.completion_tokens) == (110, 22)


async def test_invalid_calls_get_an_error_message_instead_of_a_proxy_call(spec, tools) -> None:
    executed: list[ToolCall] = []

    async def execute(call: ToolCall) -> str:
        executed.append(call)
        return "{}"

    backend = ScriptedBackend([("noSuchTool", "{}")], "Sorry.")
    conversation = await converse(backend, tools, execute=execute)
    assert executed == []
    error = json.loads(conversation.transcript[3]["content"])["error"]
    assert error == {"code": "invalid_tool_call", "message": "unknown tool 'noSuchTool'"}
    assert conversation.calls[0].error == "unknown tool 'noSuchTool'"


async def test_max_turns_bounds_the_conversation(spec, tools) -> None:
    search = [("searchPodcasts", '{"q": "startup"}')]
    backend = ScriptedBackend(search, search, search, "never reached")
    async with proxy_client() as proxy:
        conversation = await converse(
            backend, tools, execute=proxy_executor(spec, proxy), max_turns=2
        )
    assert conversation.turns == 2
    assert len(conversation.calls) == 2
    assert conversation.transcript[-1]["role"] == "tool"
    assert backend.turns == [search, "never reached"]


def test_huge_tool_results_are_truncated_with_a_marker() -> None:
    text = "x" * (MAX_TOOL_RESULT_CHARS + 250)
    cut = truncate(text)
    assert cut.startswith("x" * MAX_TOOL_RESULT_CHARS)
    assert cut.endswith("…[truncated 250 characters]")
    assert truncate("short") == "short"


async def test_a_failing_model_ends_the_conversation_keeping_what_came_before(spec, tools) -> None:
    backend = ScriptedBackend(
        [("getGenres", "{}")], BackendError("model endpoint answered HTTP 500: boom")
    )
    async with proxy_client() as proxy:
        conversation = await converse(backend, tools, execute=proxy_executor(spec, proxy))
    assert conversation.error == "model endpoint answered HTTP 500: boom"
    assert conversation.turns == 1
    assert [call.name for call in conversation.calls] == ["getGenres"]
    assert [m["role"] for m in conversation.transcript] == ["system", "user", "assistant", "tool"]
