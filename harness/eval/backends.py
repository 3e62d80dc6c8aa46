"""Model backends behind one small interface: a chat-completions call with tools.

``OpenAICompatibleBackend`` speaks to any OpenAI-compatible endpoint (OpenAI, vLLM,
llama.cpp, Ollama). A chat completion is one JSON POST, sent with httpx: the same HTTP stack
as the proxy and the cassettes, and the same bytes the ``openai`` SDK's ``create()`` sends
(a test compares them), without the SDK's per-request transform of every message and tool
schema, which dominated the cost of a replayed case. This module retries 429, 5xx and
connection failures itself, with exponential backoff and full jitter, honouring
``Retry-After`` (seconds or HTTP-date). Each call takes the ``httpx.AsyncClient`` to send
through, so the caller can wrap every case in its own cassette transport; an exception
raised by that transport (a stale cassette, say) propagates unchanged.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import json
import random
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from harness.errors import ExecutionError
from harness.eval.local_server import (
    LazyServerTransport,
    LocalModelServer,
    local_model_version,
)
from harness.models.catalog import LocalModel

CHAT_COMPLETIONS_PATH = "/chat/completions"
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
# What an HTTP client would add to each request (the backend sends without one).
REQUEST_HEADERS = {
    "Accept": "application/json",
    "Accept-Encoding": "gzip, deflate",
    "User-Agent": "podcast-harness",
}
# Set by TimedTransport below the cassette, so a replayed response keeps its recorded latency.
LATENCY_HEADER = "x-harness-latency-s"
JSON_OPTIONS: dict[str, Any] = {"ensure_ascii": False, "separators": (",", ":"), "allow_nan": False}
"""How httpx's ``json=`` encodes a request body."""


class BackendError(ExecutionError):
    """A model call that failed for good (after retries, or with a non-retryable status)."""


@dataclass(frozen=True)
class RawToolCall:
    """A tool call as the model emitted it: arguments are the unparsed JSON text."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Completion:
    """One assistant turn: the message as a chat message dict, its tool calls and usage."""

    message: dict[str, Any]
    tool_calls: tuple[RawToolCall, ...]
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_s: float


@dataclass(frozen=True)
class SamplingSettings:
    """Generation settings sent with every request."""

    temperature: float = 0.0
    seed: int | None = 0
    tool_choice: str = "auto"


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: ``max_attempts`` tries, exponential backoff capped at ``max_delay``."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False)

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential delay before retry number ``attempt`` (0-based)."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


class EncodedTools(tuple):  # type: ignore[type-arg]
    """Tools offered to the model, with their JSON as a request body holds it, encoded once.

    A run offers the same tools (some 13 kB of JSON) in every request it makes: encoding
    them once per run instead of once per request. The tools must not change afterwards.
    """

    json: str

    def __new__(cls, tools: Sequence[dict[str, Any]]) -> EncodedTools:
        encoded = super().__new__(cls, tools)
        encoded.json = json.dumps(list(encoded), **JSON_OPTIONS)
        return encoded


class Backend(Protocol):
    """What the loop needs from a model."""

    name: str
    model: str
    model_version: str | None
    base_url: str

    def transport(self) -> httpx.AsyncBaseTransport:
        """The transport that really reaches the model (wrapped by a cassette per case)."""
        ...

    async def complete(
        self,
        messages: Sequence[dict[str, Any]],
        tools: Sequence[dict[str, Any]],
        *,
        transport: httpx.AsyncBaseTransport,
    ) -> Completion:
        """One chat completion with ``tools`` offered, sent through ``transport``."""
        ...

    async def aclose(self) -> None:
        """Release whatever the backend started."""
        ...


class OpenAICompatibleBackend:
    """Chat completions on any OpenAI-compatible endpoint."""

    name = "openai"

    def __init__(
        self,
        model: str,
        base_url: str,
        api_key: str | None,
        settings: SamplingSettings = SamplingSettings(),
        retry: RetryPolicy = RetryPolicy(),
        timeout_s: float = 120.0,
    ) -> None:
        self.model = model
        # The endpoint names its exact model build in each recorded response body.
        self.model_version: str | None = None
        self.base_url = base_url
        self._api_key = api_key
        self.settings = settings
        self.retry = retry
        self.timeout_s = timeout_s
        self._pool: httpx.AsyncHTTPTransport | None = None

    def transport(self) -> httpx.AsyncBaseTransport:
        """A timed transport over the backend's connection pool.

        Cases share the pool, so connections to the model are kept alive from one case to
        the next; closing the returned transport leaves the pool open (``aclose`` closes it).
        """
        return TimedTransport(self.connection_pool)

    def connection_pool(self) -> httpx.AsyncHTTPTransport:
        """The network transport every case sends through, created on first use.

        Its size is not capped: the number of cases in flight bounds it.
        """
        if self._pool is None:
            self._pool = httpx.AsyncHTTPTransport(
                verify=shared_ssl_context(),
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=None),
            )
        return self._pool

    def request_body(
        self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]]
    ) -> dict[str, Any]:
        """The chat-completions request, keys in the order the SDK's ``create()`` sends them."""
        body: dict[str, Any] = {"messages": list(messages), "model": self.model}
        if self.settings.seed is not None:
            body["seed"] = self.settings.seed
        body["temperature"] = self.settings.temperature
        if tools:
            body["tool_choice"] = self.settings.tool_choice
            body["tools"] = list(tools)
        return body

    def request_content(
        self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]]
    ) -> bytes:
        """``request_body`` encoded as httpx's ``json=`` encodes it (the same bytes), reusing
        the JSON of :class:`EncodedTools`."""
        body = self.request_body(messages, tools)
        if not tools or not isinstance(tools, EncodedTools):
            return json.dumps(body, **JSON_OPTIONS).encode()
        del body["tools"]  # the last key: its JSON goes before the closing brace
        head = json.dumps(body, **JSON_OPTIONS)
        return f'{head[:-1]},"tools":{tools.json}}}'.encode()

    async def complete(
        self,
        messages: Sequence[dict[str, Any]],
        tools: Sequence[dict[str, Any]],
        *,
        transport: httpx.AsyncBaseTransport,
    ) -> Completion:
        """One chat completion, retried on 429/5xx/connection errors.

        The request goes straight to ``transport``: no client stands between them, which
        would only add cookies, redirects and authentication flows the endpoint never uses
        (two thirds of what a replayed request cost)."""
        url = _completions_url(self.base_url)
        content = self.request_content(messages, tools)
        headers = {**REQUEST_HEADERS, "Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        timeout = {"timeout": httpx.Timeout(self.timeout_s).as_dict()}
        for attempt in range(self.retry.max_attempts):
            started = time.perf_counter()
            try:
                response = await send(
                    transport,
                    httpx.Request(
                        "POST", url, content=content, headers=headers, extensions=timeout
                    ),
                )
            except httpx.TransportError as error:
                failure = f"cannot reach {self.base_url}: {error!r}"
                delay = None
            else:
                if response.is_success:
                    latency_s = _recorded_latency(response.headers, time.perf_counter() - started)
                    return _completion(response, latency_s)
                failure = _status_message(response)
                if response.status_code not in RETRYABLE_STATUS:
                    raise BackendError(failure)
                delay = retry_after_seconds(response.headers)
            if attempt + 1 == self.retry.max_attempts:
                break
            wait = self.retry.backoff(attempt) if delay is None else delay
            await self.retry.sleep(min(wait, self.retry.max_delay))
        raise BackendError(f"{failure} (gave up after {self.retry.max_attempts} attempts)")

    async def aclose(self) -> None:
        """Close the connection pool (the HTTP clients belong to the caller)."""
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None


async def send(transport: httpx.AsyncBaseTransport, request: httpx.Request) -> httpx.Response:
    """``request`` sent through ``transport``, its response read whole (and closed)."""
    response = await transport.handle_async_request(request)
    response.request = request
    try:
        await response.aread()
    except BaseException:
        await response.aclose()
        raise
    return response


class TimedTransport(httpx.AsyncBaseTransport):
    """Stamps each response with the seconds the model took (until its response headers).

    It sends through ``pool()``, its owner's shared transport, asked for at each request so
    that a run that never calls out (a replay) never builds it; the owner closes it.
    """

    def __init__(self, pool: Callable[[], httpx.AsyncBaseTransport]) -> None:
        self._pool = pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Forward ``request`` and add the ``LATENCY_HEADER`` to the response."""
        inner = self._pool()
        started = time.perf_counter()
        response = await inner.handle_async_request(request)
        response.headers[LATENCY_HEADER] = f"{time.perf_counter() - started:.4f}"
        return response

    async def aclose(self) -> None:
        """Nothing to close: the wrapped transport outlives this one."""


def _recorded_latency(headers: httpx.Headers, measured_s: float) -> float:
    try:
        return float(headers[LATENCY_HEADER])
    except (KeyError, ValueError):
        return measured_s


@functools.lru_cache(maxsize=16)
def _completions_url(base_url: str) -> httpx.URL:
    """The chat completions endpoint under ``base_url``, parsed once."""
    return httpx.URL(base_url.rstrip("/") + CHAT_COMPLETIONS_PATH)


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """httpx's default TLS context, built once per process: building one loads the CA bundle
    (~50 ms), which every backend's connection pool would otherwise pay, even in replay."""
    return httpx.create_ssl_context()


def retry_after_seconds(headers: httpx.Headers, now: datetime | None = None) -> float | None:
    """The wait a ``Retry-After`` header asks for (seconds or HTTP-date), or ``None``."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _status_message(response: httpx.Response, limit: int = 300) -> str:
    """One line for an error response: the OpenAI-style ``error.message``, else the body."""
    try:
        detail = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        detail = response.text or response.reason_phrase
    detail = " ".join(str(detail).split())
    if len(detail) > limit:
        detail = detail[: limit - 1] + "…"
    return f"model endpoint answered HTTP {response.status_code}: {detail}"


def _completion(response: httpx.Response, latency_s: float) -> Completion:
    """The first choice of a chat-completions response, read from its JSON as leniently as
    the SDK reads it (unknown and missing optional fields are fine)."""
    try:
        body = response.json()
    except ValueError:
        raise BackendError("model endpoint returned a body that is not JSON") from None
    if not isinstance(body, dict):
        raise BackendError(f"model endpoint returned a JSON {type(body).__name__}, not an object")
    if not body.get("choices"):
        raise BackendError("model endpoint returned no choices")
    try:
        message = body["choices"][0]["message"]
        tool_calls = tuple(
            RawToolCall(
                id=call["id"],
                name=call["function"]["name"],
                arguments=call["function"].get("arguments") or "",
            )
            for call in message.get("tool_calls") or ()
            if call.get("type") == "function"
        )
    except (KeyError, IndexError, TypeError, AttributeError) as error:
        raise BackendError(f"model endpoint returned a malformed message ({error!r})") from None
    # Rebuilt rather than dumped: "content" is always a string (llama-cpp-python's server
    # rejects null and its chat templates read the key) and legacy "function_call" is left out.
    assistant: dict[str, Any] = {"role": "assistant", "content": message.get("content") or ""}
    if tool_calls:
        assistant["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in tool_calls
        ]
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    return Completion(
        message=assistant,
        tool_calls=tool_calls,
        prompt_tokens=usage.get("prompt_tokens"),
        completion_tokens=usage.get("completion_tokens"),
        latency_s=latency_s,
    )


class LocalBackend(OpenAICompatibleBackend):
    """A local GGUF model through llama-cpp-python's server, started on the first real request.

    Requests go to a stable virtual URL so cassettes do not depend on the server's port. The
    server holds one model and answers one request at a time (llama-cpp-python serialises
    them behind a lock), so ``max_concurrency`` is 1: cases then run one after another in
    suite order and each reuses the prompt prefix (system prompt and tools) that llama.cpp
    keeps evaluated from the case before.
    """

    name = "local"
    VIRTUAL_BASE_URL = "http://local-model/v1"
    max_concurrency = 1

    def __init__(
        self,
        model: LocalModel,
        settings: SamplingSettings = SamplingSettings(),
        retry: RetryPolicy = RetryPolicy(),
        server: LocalModelServer | None = None,
        timeout_s: float = 600.0,
    ) -> None:
        super().__init__(
            model=model.alias,
            base_url=self.VIRTUAL_BASE_URL,
            api_key="local",
            settings=settings,
            retry=retry,
            timeout_s=timeout_s,
        )
        self.local_model = model
        self.server = server or LocalModelServer(model)
        self.model_version = local_model_version(model)

    @property
    def model_sha256(self) -> str:
        """The sha256 of the model file (pinned for a known model), for cassette metadata."""
        return self.local_model.file_sha256()

    def transport(self) -> httpx.AsyncBaseTransport:
        """A timed transport over the backend's connection pool to the local server, which
        it starts on the first request (the start-up is not part of the measured latency)."""
        return LazyServerTransport(self.server, TimedTransport(self.connection_pool))

    async def aclose(self) -> None:
        """Close the connection pool and stop the local server if it was started."""
        await super().aclose()
        self.server.stop()
