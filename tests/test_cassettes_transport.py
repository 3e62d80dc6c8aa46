"""CassetteTransport: record, replay, staleness and scrubbing against a fake model endpoint."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fakes import chat_completion
from openai import AsyncOpenAI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from vcr.request import Request as VcrRequest
from vcr.serialize import deserialize
from vcr.serializers import yamlserializer

from harness.cassettes.layout import cassette_path
from harness.cassettes.scrub import request_filter
from harness.cassettes.transport import CassetteTransport, StaleCassetteError

SECRET = "sk-test-abcdefghijklmnopqrstuvwx"
LISTEN_KEY = "0123456789abcdef0123456789abcdef"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "searchPodcasts",
            "description": "Search podcasts.",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        },
    },
    {
        "type": "function",
        "function": {
            "name": "getGenres",
            "description": "List genres.",
            "parameters": {"type": "object", "properties": {}},
        },
    },
]


def completion(content: str = "ok") -> dict[str, Any]:
    call = {
        "id": "call_random_1",
        "type": "function",
        "function": {"name": "searchPodcasts", "arguments": '{"q":"startup"}'},
    }
    message = {"role": "assistant", "content": content, "tool_calls": [call]}
    return chat_completion(
        message, model="tiny", finish_reason="tool_calls", prompt_tokens=10, completion_tokens=2
    )


class FakeModel:
    """An OpenAI-compatible endpoint that counts calls and echoes a secret back."""

    def __init__(self) -> None:
        self.calls = 0
        self.gzip = False
        self.app = Starlette(routes=[Route("/v1/chat/completions", self.chat, methods=["POST"])])

    async def chat(self, request: Request) -> Response:
        self.calls += 1
        body = json.dumps(completion(f"server secret {SECRET}")).encode()
        headers = {"set-cookie": "session=abcdef123456", "x-request-id": "r1"}
        if self.gzip:
            return Response(
                gzip.compress(body),
                media_type="application/json",
                headers={**headers, "content-encoding": "gzip"},
            )
        return Response(body, media_type="application/json", headers=headers)


@pytest.fixture
def model() -> FakeModel:
    return FakeModel()


def request_body(**changes: Any) -> dict[str, Any]:
    body = {
        "model": "tiny",
        "messages": [
            {"role": "system", "content": "You call podcast tools."},
            {"role": "user", "content": "startup podcasts"},
        ],
        "tools": TOOLS,
        "tool_choice": "auto",
        "temperature": 0.0,
        "seed": 1,
    }
    body.update(changes)
    return body


async def post(
    transport: httpx.AsyncBaseTransport,
    body: dict[str, Any],
    base: str = "http://127.0.0.1:8001",
    params: dict[str, str] | None = None,
) -> httpx.Response:
    async with httpx.AsyncClient(transport=transport, base_url=base) as client:
        return await client.post(
            "/v1/chat/completions",
            json=body,
            params=params,
            headers={
                "Authorization": f"Bearer {SECRET}",
                "X-ListenAPI-Key": LISTEN_KEY,
                "api-key": "azure-key-123456",
                "Cookie": "session=zzzzzzzz",
            },
        )


def transport(path: Path, mode: str, model: FakeModel, **kwargs: Any) -> CassetteTransport:
    return CassetteTransport(path, mode, httpx.ASGITransport(app=model.app), **kwargs)


async def record(path: Path, model: FakeModel, body: dict[str, Any] | None = None) -> None:
    response = await post(transport(path, "once", model), body or request_body())
    assert response.status_code == 200


async def test_records_once_then_replays_without_calling_out(tmp_path: Path, model: FakeModel):
    path = cassette_path(tmp_path, "tiny", "case-1", 0)
    metadata = {"model": "tiny", "model_version": "tiny.gguf", "case_fingerprint": "abc"}
    first = await post(transport(path, "once", model, metadata=metadata), request_body())
    assert model.calls == 1 and path.is_file()

    replayed = await post(transport(path, "none", model), request_body(), base="http://x:9")
    assert model.calls == 1
    assert (
        replayed.json()["choices"][0]["message"]["tool_calls"]
        == (first.json()["choices"][0]["message"]["tool_calls"])
    )
    assert replayed.json()["choices"][0]["message"]["content"] == "server secret [REDACTED]"

    document = yaml.safe_load(path.read_text())
    assert document["metadata"]["model_version"] == "tiny.gguf"
    assert {"harness_version", "recorded_at", "case_fingerprint"} <= document["metadata"].keys()
    requests, responses, stored_metadata = deserialize(path.read_text(), yamlserializer)
    assert len(requests) == len(responses) == 1
    assert stored_metadata["model"] == "tiny"


async def test_missing_cassette_in_replay_mode_is_stale_not_a_network_call(
    tmp_path: Path, model: FakeModel
):
    path = cassette_path(tmp_path, "tiny", "case-1", 0)
    with pytest.raises(StaleCassetteError) as error:
        await post(transport(path, "none", model), request_body())
    assert error.value.reason.startswith("no cassette recorded")
    assert not isinstance(error.value, httpx.HTTPError)
    assert model.calls == 0 and not path.exists()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {
                "tools": [
                    TOOLS[0],
                    {**TOOLS[1], "function": {**TOOLS[1]["function"], "description": "x"}},
                ]
            },
            "spec changed: tool getGenres description changed",
        ),
        ({"tools": TOOLS[:1]}, "spec changed: tool getGenres removed"),
        (
            {
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "startup podcasts"},
                ]
            },
            "system prompt changed",
        ),
        (
            {
                "messages": [
                    {"role": "system", "content": "You call podcast tools."},
                    {"role": "user", "content": "true crime podcasts"},
                ]
            },
            "prompt changed",
        ),
        ({"model": "bigger"}, "model changed: recorded tiny, asked bigger"),
        ({"temperature": 0.7}, "sampling parameters changed: temperature"),
    ],
)
async def test_a_miss_names_what_changed(
    tmp_path: Path, model: FakeModel, changes: dict[str, Any], expected: str
):
    path = tmp_path / "c.yaml"
    await record(path, model)
    with pytest.raises(StaleCassetteError) as error:
        await post(transport(path, "none", model), request_body(**changes))
    assert error.value.reason.startswith(expected)
    assert model.calls == 1


async def test_once_mode_does_not_extend_an_existing_cassette(tmp_path: Path, model: FakeModel):
    path = tmp_path / "c.yaml"
    await record(path, model)
    with pytest.raises(StaleCassetteError, match="prompt changed"):
        await post(
            transport(path, "once", model),
            request_body(messages=[{"role": "user", "content": "x"}]),
        )
    assert model.calls == 1


async def test_volatile_fields_host_and_tool_call_ids_do_not_matter(
    tmp_path: Path, model: FakeModel
):
    path = tmp_path / "c.yaml"
    turn = request_body(
        messages=[
            *request_body()["messages"],
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "call_AAA",
                        "type": "function",
                        "function": {"name": "getGenres", "arguments": "{}"},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_AAA", "content": "[]"},
        ]
    )
    await record(path, model, turn)
    replay = json.loads(json.dumps(turn).replace("call_AAA", "call_BBB"))
    replay.update(user="someone", stream_options={"include_usage": True}, metadata={"run": "2"})
    response = await post(transport(path, "none", model), replay, base="http://localhost:5555")
    assert response.status_code == 200 and model.calls == 1


async def test_new_episodes_records_misses_and_keeps_old_ones(tmp_path: Path, model: FakeModel):
    path = tmp_path / "c.yaml"
    await record(path, model)
    other = request_body(seed=2)
    await post(transport(path, "new_episodes", model), other)
    assert model.calls == 2
    replay = transport(path, "none", model)
    await post(replay, request_body())
    await post(replay, other)
    assert model.calls == 2 and replay.played == 2


async def test_all_mode_rerecords_from_scratch(tmp_path: Path, model: FakeModel):
    path = tmp_path / "c.yaml"
    await record(path, model, request_body(seed=7))
    await post(transport(path, "all", model, metadata={"model_version": "v2"}), request_body())
    assert model.calls == 2
    document = yaml.safe_load(path.read_text())
    assert len(document["interactions"]) == 1
    assert document["metadata"]["model_version"] == "v2"
    with pytest.raises(StaleCassetteError):
        await post(transport(path, "none", model), request_body(seed=7))


async def test_a_repeated_request_beyond_the_recording_is_stale(tmp_path: Path, model: FakeModel):
    path = tmp_path / "c.yaml"
    await record(path, model)
    replay = transport(path, "none", model)
    await post(replay, request_body())
    with pytest.raises(StaleCassetteError, match="more times than it was recorded"):
        await post(replay, request_body())


async def test_secrets_never_reach_the_cassette(tmp_path: Path, model: FakeModel, monkeypatch):
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-env-secret-98765")
    path = tmp_path / "c.yaml"
    body = request_body(
        messages=[{"role": "user", "content": f"my key is {SECRET} and tok-env-secret-98765"}]
    )
    live = await post(
        transport(path, "once", model, secrets=[SECRET]),
        body,
        params={"api_key": "query-secret-1", "q": "x"},
    )
    assert SECRET in live.text  # the caller still gets the real response
    text = path.read_text()
    for leaked in (
        SECRET,
        LISTEN_KEY,
        "azure-key-123456",
        "query-secret-1",
        "tok-env-secret-98765",
        "session=",
        "Bearer",
    ):
        assert leaked not in text
    assert "[REDACTED]" in text
    # the scrubbed recording still matches the same (unscrubbed) request
    replayed = await post(
        transport(path, "none", model, secrets=[SECRET]),
        body,
        params={"api_key": "other", "q": "x"},
    )
    assert replayed.status_code == 200 and model.calls == 1


async def test_compressed_responses_are_stored_decoded(tmp_path: Path, model: FakeModel):
    model.gzip = True
    path = tmp_path / "c.yaml"
    first = await post(transport(path, "once", model), request_body())
    assert "content-encoding" not in path.read_text().lower()
    replayed = await post(transport(path, "none", model), request_body())
    assert replayed.json()["usage"] == first.json()["usage"]


async def test_the_openai_client_replays_through_the_transport(tmp_path: Path, model: FakeModel):
    path = tmp_path / "c.yaml"

    async def ask(mode: str) -> str:
        http = httpx.AsyncClient(transport=transport(path, mode, model))
        client = AsyncOpenAI(
            base_url="http://127.0.0.1:1/v1", api_key=SECRET, http_client=http, max_retries=0
        )
        async with client:
            answer = await client.chat.completions.create(
                model="tiny", messages=[{"role": "user", "content": "hi"}], tools=TOOLS
            )
        return answer.choices[0].message.tool_calls[0].function.name

    assert await ask("once") == "searchPodcasts"
    assert await ask("none") == "searchPodcasts"
    assert model.calls == 1
    assert SECRET not in path.read_text()


def test_unknown_record_mode_is_refused(tmp_path: Path, model: FakeModel):
    with pytest.raises(ValueError, match="record mode 'any'"):
        transport(tmp_path / "c.yaml", "any", model)


def test_the_request_filter_scrubs_a_copy():
    original = VcrRequest(
        "POST",
        "http://model.local/v1/chat/completions?api_key=query-secret-1&q=x",
        f'{{"note": "{SECRET}"}}'.encode(),
        {"Authorization": f"Bearer {SECRET}", "X-Api-Key": "k" * 12, "Accept": "json"},
    )
    scrubbed = request_filter([SECRET])(original)
    assert dict(scrubbed.headers) == {"Accept": "json"}
    assert scrubbed.query == [("q", "x")]
    assert scrubbed.body == b'{"note": "[REDACTED]"}'
    assert original.headers["authorization"] == f"Bearer {SECRET}"
    assert "api_key=query-secret-1" in original.uri and SECRET.encode() in original.body


def test_the_request_filter_returns_a_request_with_nothing_to_change_as_it_is():
    headers = {"Content-Type": "application/json", "Accept": "json"}
    untouched = VcrRequest("POST", "http://m.local/v1/chat?q=x", b'{"q": "x"}', headers)
    assert request_filter([SECRET])(untouched) is untouched


@pytest.mark.parametrize(
    ("uri", "body", "headers"),
    [
        ("http://m.local/v1/chat?api_key=query-secret-1", b"{}", {}),  # a credential parameter
        ("http://m.local/v1/chat", b'{"password": "hunter22"}', {}),  # a credential field
        ("http://m.local/v1/chat", b'{"note": "<REDACTED>"}', {}),  # a legacy placeholder
        ("http://m.local/v1/chat", b"{}", {"Cookie": "a=b"}),  # a credential header
        ("http://m.local/v1/chat", b"{}", {"X-Note": SECRET}),  # a secret in a header
    ],
)
def test_the_request_filter_returns_a_copy_when_anything_changes(
    uri: str, body: bytes, headers: dict[str, str]
):
    headers = {"Content-Type": "application/json", **headers}
    request = VcrRequest("POST", uri, body, headers)
    scrubbed = request_filter([SECRET])(request)
    assert scrubbed is not request
    assert (scrubbed.uri, scrubbed.body, dict(scrubbed.headers)) != (uri, body, headers)
    assert (request.uri, request.body, dict(request.headers)) == (uri, body, headers)


async def test_an_error_answer_is_passed_on_but_never_recorded(tmp_path: Path):
    calls: list[int] = []

    async def flaky(request: Request) -> Response:
        calls.append(1)
        if len(calls) == 1:
            return Response(
                '{"error": {"message": "Rate limit"}}', 429, media_type="application/json"
            )
        return Response(json.dumps(completion()), media_type="application/json")

    app = Starlette(routes=[Route("/v1/chat/completions", flaky, methods=["POST"])])
    path = cassette_path(tmp_path, "tiny", "case-1", 0)
    inner = httpx.ASGITransport(app=app)
    first = await post(CassetteTransport(path, "once", inner), request_body())
    assert first.status_code == 429 and not path.exists()
    retried = await post(CassetteTransport(path, "once", inner), request_body())
    assert retried.status_code == 200 and path.is_file()
    replayed = await post(CassetteTransport(path, "none", inner), request_body())
    assert replayed.status_code == 200 and len(calls) == 2
