"""The OpenAI-compatible backend against a respx-mocked chat-completions endpoint."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx
import openai
import pytest
import respx
from fakes import chat_completion

from harness.eval.backends import (
    LATENCY_HEADER,
    BackendError,
    EncodedTools,
    LocalBackend,
    OpenAICompatibleBackend,
    RetryPolicy,
    SamplingSettings,
    retry_after_seconds,
)
from harness.eval.local_server import LazyServerTransport, LocalModelServer
from harness.models.catalog import resolve

SMOLLM2 = resolve("smollm2-135m")
QWEN = resolve("qwen2.5-coder-1.5b")

BASE_URL = "http://models.test/v1"
TOOLS = [{"type": "function", "function": {"name": "getGenres", "parameters": {"type": "object"}}}]
MESSAGES = [{"role": "system", "content": "Be helpful."}, {"role": "user", "content": "genres?"}]


def chat_response(tool_calls: list[dict] | None = None, content: str | None = None) -> dict:
    message: dict = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
        message["function_call"] = tool_calls[0]["function"]  # legacy field llama.cpp adds
    return chat_completion(message, model="m", prompt_tokens=236, completion_tokens=18)


def function_call(name: str, arguments: str, call_id: str = "call_1") -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


class RecordedSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_backend(sleep: RecordedSleep | None = None, attempts: int = 4) -> OpenAICompatibleBackend:
    retry = RetryPolicy(max_attempts=attempts, base_delay=0.001, max_delay=5.0)
    if sleep is not None:
        retry = RetryPolicy(max_attempts=attempts, base_delay=0.001, max_delay=5.0, sleep=sleep)
    settings = SamplingSettings(temperature=0.0, seed=7, tool_choice="required")
    return OpenAICompatibleBackend("m", BASE_URL, "sk-test-secret", settings, retry)


async def complete(backend: OpenAICompatibleBackend):
    async with httpx.AsyncHTTPTransport() as transport:
        return await backend.complete(MESSAGES, TOOLS, transport=transport)


@respx.mock(base_url=BASE_URL)
async def test_tool_calls_and_usage_are_parsed(respx_mock) -> None:
    route = respx_mock.post("/chat/completions").respond(
        json=chat_response([function_call("getGenres", '{"top_level_only": 1}')])
    )
    completion = await complete(make_backend())
    assert [(c.id, c.name, c.arguments) for c in completion.tool_calls] == [
        ("call_1", "getGenres", '{"top_level_only": 1}')
    ]
    assert (completion.prompt_tokens, completion.completion_tokens) == (236, 18)
    assert completion.message == {
        "role": "assistant",
        "content": "",
        "tool_calls": [function_call("getGenres", '{"top_level_only": 1}')],
    }
    sent = json.loads(route.calls.last.request.content)
    assert sent["tools"] == TOOLS
    assert (sent["tool_choice"], sent["temperature"], sent["seed"]) == ("required", 0.0, 7)
    assert sent["messages"] == MESSAGES
    assert route.calls.last.request.headers["authorization"] == "Bearer sk-test-secret"


@respx.mock(base_url=BASE_URL)
async def test_plain_answer_has_no_tool_calls(respx_mock) -> None:
    respx_mock.post("/chat/completions").respond(json=chat_response(content="Hello."))
    completion = await complete(make_backend())
    assert completion.tool_calls == ()
    assert completion.message == {"role": "assistant", "content": "Hello."}


@respx.mock(base_url=BASE_URL)
async def test_429_honours_retry_after_seconds(respx_mock) -> None:
    sleep = RecordedSleep()
    route = respx_mock.post("/chat/completions")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "2"}, json={"error": {"message": "slow"}}),
        httpx.Response(200, json=chat_response(content="ok")),
    ]
    completion = await complete(make_backend(sleep))
    assert completion.message["content"] == "ok"
    assert sleep.waits == [2.0]
    assert route.call_count == 2


@respx.mock(base_url=BASE_URL)
async def test_5xx_backs_off_then_succeeds(respx_mock) -> None:
    sleep = RecordedSleep()
    route = respx_mock.post("/chat/completions")
    route.side_effect = [
        httpx.Response(503, json={"error": {"message": "busy"}}),
        httpx.Response(502, text="bad gateway"),
        httpx.Response(200, json=chat_response(content="ok")),
    ]
    await complete(make_backend(sleep))
    assert route.call_count == 3
    assert len(sleep.waits) == 2
    assert all(0 <= wait <= 0.002 for wait in sleep.waits)


@respx.mock(base_url=BASE_URL)
async def test_connection_errors_are_retried(respx_mock) -> None:
    sleep = RecordedSleep()
    route = respx_mock.post("/chat/completions")
    route.side_effect = [httpx.ConnectError("refused"), httpx.Response(200, json=chat_response())]
    await complete(make_backend(sleep))
    assert route.call_count == 2


@respx.mock(base_url=BASE_URL)
async def test_gives_up_after_bounded_attempts(respx_mock) -> None:
    route = respx_mock.post("/chat/completions").respond(500, json={"error": {"message": "x"}})
    with pytest.raises(BackendError, match=r"HTTP 500.*gave up after 3 attempts"):
        await complete(make_backend(RecordedSleep(), attempts=3))
    assert route.call_count == 3


@respx.mock(base_url=BASE_URL)
async def test_client_errors_are_not_retried(respx_mock) -> None:
    route = respx_mock.post("/chat/completions").respond(400, json={"error": {"message": "bad"}})
    with pytest.raises(BackendError, match=r"HTTP 400: bad$"):
        await complete(make_backend(RecordedSleep()))
    assert route.call_count == 1


@respx.mock(base_url=BASE_URL)
async def test_an_error_without_an_openai_error_body_shows_the_body(respx_mock) -> None:
    respx_mock.post("/chat/completions").respond(401, text="no   such\nkey")
    with pytest.raises(BackendError, match=r"HTTP 401: no such key$"):
        await complete(make_backend(RecordedSleep()))


@respx.mock(base_url=BASE_URL)
async def test_the_api_key_is_sent_as_a_bearer_token(respx_mock) -> None:
    route = respx_mock.post("/chat/completions").respond(json=chat_response(content="ok"))
    await complete(make_backend())
    assert route.calls.last.request.headers["authorization"] == "Bearer sk-test-secret"


class CassetteMiss(Exception):
    """Stands for a cassette transport's replay miss."""


class MissingCassetteTransport(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        raise CassetteMiss("no recorded interaction")


async def test_transport_exceptions_pass_through_unwrapped_and_unretried() -> None:
    transport = MissingCassetteTransport()
    with pytest.raises(CassetteMiss, match="no recorded interaction"):
        await make_backend(RecordedSleep()).complete(MESSAGES, TOOLS, transport=transport)
    assert transport.requests == 1


class RecordedResponseTransport(httpx.AsyncBaseTransport):
    """Stands for a cassette replaying a response recorded with its latency."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        headers = {LATENCY_HEADER: "1.2500"}
        return httpx.Response(200, headers=headers, json=chat_response(content="ok"))


async def test_latency_comes_from_the_recorded_header_when_there_is_one() -> None:
    completion = await make_backend().complete(
        MESSAGES, TOOLS, transport=RecordedResponseTransport()
    )
    assert completion.latency_s == 1.25


@respx.mock(base_url=BASE_URL)
async def test_the_network_transport_stamps_the_latency(respx_mock) -> None:
    respx_mock.post("/chat/completions").respond(json=chat_response(content="ok"))
    backend = make_backend()
    async with httpx.AsyncClient(transport=backend.transport()) as client:
        # A replay never sends through it: the pool (and its TLS context) waits for a request.
        assert backend._pool is None
        response = await client.post(f"{BASE_URL}/chat/completions", json={})
    assert float(response.headers[LATENCY_HEADER]) >= 0.0
    assert backend._pool is not None
    await backend.aclose()


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds(httpx.Headers({"Retry-After": "1.5"}), now) == 1.5
    date = httpx.Headers({"Retry-After": "Sun, 22 Nov 2026 12:00:30 GMT"})
    assert retry_after_seconds(date, now) == 30.0
    assert retry_after_seconds(httpx.Headers({"Retry-After": "soon"}), now) is None
    assert retry_after_seconds(httpx.Headers(), now) is None


class CountingServer(LocalModelServer):
    def __init__(self, base_url: str) -> None:
        super().__init__(SMOLLM2)
        self.starts = 0
        self._url = base_url

    async def ensure_started(self) -> str:
        if self.base_url is None:
            self.starts += 1
            await asyncio.sleep(0.3)  # a slow start-up
            self.base_url = self._url
        return self._url


def test_local_backend_is_addressed_by_a_stable_virtual_url() -> None:
    backend = LocalBackend(QWEN, server=CountingServer("http://127.0.0.1:1/v1"))
    assert backend.name == "local"
    assert backend.base_url == LocalBackend.VIRTUAL_BASE_URL
    assert backend.model == "Qwen2.5-Coder-1.5B-Instruct-Q4_K_M"
    assert backend.model_sha256 == QWEN.sha256
    assert backend.max_concurrency == 1


@respx.mock
async def test_lazy_transport_starts_the_server_only_when_a_request_is_sent(respx_mock) -> None:
    server = CountingServer("http://127.0.0.1:43210/v1")
    route = respx_mock.post("http://127.0.0.1:43210/v1/chat/completions").respond(
        json=chat_response(content="hi")
    )
    backend = LocalBackend(SMOLLM2, server=server)
    transport = backend.transport()
    assert isinstance(transport, LazyServerTransport)
    assert server.starts == 0
    async with transport:
        completion = await backend.complete(MESSAGES, TOOLS, transport=transport)
        again = await backend.complete(MESSAGES, TOOLS, transport=transport)
    assert completion.message["content"] == "hi"
    assert server.starts == 1
    assert route.calls.last.request.headers["host"] == "127.0.0.1:43210"
    assert 0.0 < completion.latency_s < 0.3
    assert 0.0 < again.latency_s < 0.3


async def test_cases_share_one_connection_pool_that_the_backend_closes(monkeypatch) -> None:
    backend = make_backend()
    pool = backend.connection_pool()
    closed: list[bool] = []

    async def record_close() -> None:
        closed.append(True)

    monkeypatch.setattr(pool, "aclose", record_close)
    for _ in range(2):
        async with backend.transport():
            pass
    assert backend.connection_pool() is pool and closed == []
    await backend.aclose()
    assert closed == [True]
    assert backend.connection_pool() is not pool


@pytest.mark.slow
async def test_the_real_local_model_answers_with_the_tools_in_its_prompt() -> None:
    pytest.importorskip("llama_cpp")
    backend = LocalBackend(SMOLLM2)
    tool = {
        "type": "function",
        "function": {
            "name": "getGenres",
            "description": "List podcast genres.",
            "parameters": {"type": "object", "properties": {}},
        },
    }
    try:
        async with backend.transport() as transport:
            completion = await backend.complete(MESSAGES, [tool], transport=transport)
    finally:
        await backend.aclose()
    assert completion.message["role"] == "assistant"
    assert completion.prompt_tokens > 50
    assert backend.server.base_url is None


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"<html>busy</html>", "a body that is not JSON"),
        (b"[1, 2]", "a JSON list, not an object"),
        (b'{"choices": []}', "no choices"),
        (b'{"choices": [{"message": null}]}', "malformed message"),
        (b'{"choices": [{"message": {"tool_calls": [{"type": "function"}]}}]}', "malformed"),
    ],
)
@respx.mock(base_url=BASE_URL)
async def test_an_unusable_completion_is_a_backend_error(respx_mock, content, error) -> None:
    respx_mock.post("/chat/completions").respond(200, content=content)
    with pytest.raises(BackendError, match=error):
        await complete(make_backend())


@respx.mock(base_url=BASE_URL)
async def test_the_body_on_the_wire_is_what_the_sdks_create_sends(respx_mock) -> None:
    route = respx_mock.post("/chat/completions").respond(json=chat_response(content="ok"))
    backend = make_backend()
    transcript = [
        *MESSAGES,
        {"role": "assistant", "content": "", "tool_calls": [function_call("getGenres", "{}")]},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"genres": ["Comédie"]}'},
    ]
    async with httpx.AsyncClient() as client, httpx.AsyncHTTPTransport() as transport:
        await backend.complete(transcript, TOOLS, transport=transport)
        sdk = openai.AsyncOpenAI(api_key="k", base_url=BASE_URL, http_client=client)
        await sdk.chat.completions.create(**backend.request_body(transcript, TOOLS))
    sent, by_sdk = (call.request.content for call in route.calls)
    assert sent == by_sdk


@respx.mock(base_url=BASE_URL)
async def test_tools_encoded_once_send_the_same_request(respx_mock) -> None:
    route = respx_mock.post("/chat/completions").respond(json=chat_response(content="ok"))
    backend = make_backend()
    tools = [*TOOLS, {"type": "function", "function": {"name": "é", "parameters": {}}}]
    async with httpx.AsyncClient() as client, httpx.AsyncHTTPTransport() as transport:
        await backend.complete(MESSAGES, EncodedTools(tools), transport=transport)
        await client.post(
            f"{BASE_URL}/chat/completions", json=backend.request_body(MESSAGES, tools)
        )
    encoded, plain = (call.request for call in route.calls)
    assert encoded.content == plain.content
    assert json.loads(encoded.content)["tools"] == tools
    assert encoded.headers["content-type"] == plain.headers["content-type"] == "application/json"
    assert encoded.headers["content-length"] == plain.headers["content-length"]


@respx.mock(base_url=BASE_URL)
async def test_the_request_says_who_sends_it_and_what_it_accepts(respx_mock) -> None:
    route = respx_mock.post("/chat/completions").respond(json=chat_response(content="ok"))
    await complete(make_backend())
    headers = route.calls.last.request.headers
    assert headers["user-agent"] == "podcast-harness"
    assert headers["accept"] == "application/json"
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) == len(route.calls.last.request.content)


class BrokenBody(httpx.AsyncByteStream):
    """A response body that fails half-way, like a connection dropped mid-answer."""

    def __init__(self) -> None:
        self.closed = False

    async def __aiter__(self):
        yield b'{"id":'
        raise httpx.ReadError("connection reset")

    async def aclose(self) -> None:
        self.closed = True


class BrokenThenFineTransport(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.bodies: list[BrokenBody] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.bodies:
            self.bodies.append(BrokenBody())
            return httpx.Response(200, stream=self.bodies[0])
        return httpx.Response(200, json=chat_response(content="ok"))


async def test_a_body_cut_off_is_closed_and_the_request_retried() -> None:
    transport = BrokenThenFineTransport()
    sleep = RecordedSleep()
    completion = await make_backend(sleep).complete(MESSAGES, TOOLS, transport=transport)
    assert completion.message["content"] == "ok"
    assert transport.bodies[0].closed
    assert len(sleep.waits) == 1
