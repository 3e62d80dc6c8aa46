"""`harness fuzz --surface mcp`: property-based ``tools/call`` against an MCP server.

For every tool of ``tools/list``, hypothesis drives valid and invalid arguments
(:mod:`harness.fuzz.mcp_arguments`) through the SDK's client, checks every result and, on a
failure, shrinks it to a minimal call, reported as the JSON-RPC body (and a curl command) that
reproduces it, with the seed. The same upstream fault scenarios as the REST fuzz then run
against an in-process proxy whose mock upstream misbehaves, with valid arguments only.

Checks on every call: ``jsonrpc_response`` (a result, never a transport failure or a JSON-RPC
error), ``error_envelope`` (an ``isError`` result carries the REST error envelope, also as its
text), ``invalid_arguments_rejected`` (``isError`` with status 400),
``valid_arguments_accepted`` (a result, or a documented status: 404 for an unknown id, the
scenario's mapped status under faults), ``output_schema_conformance`` (``structuredContent``
validates against ``outputSchema``), ``no_secret_leak`` and ``no_stack_trace``.

hypothesis runs synchronously; the client lives on an event loop in a worker thread
(:class:`McpCaller`), which each example calls into.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import mcp_types as types
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types.version import LATEST_HANDSHAKE_VERSION

from harness.fuzz.checks import MIN_SECRET_LENGTH, TRACEBACK_PATTERN
from harness.fuzz.faults import FaultScenario
from harness.fuzz.mcp_arguments import invalid_arguments, valid_arguments
from harness.fuzz.runner import FailureRecord, RunResult
from harness.fuzz.suite import REPRODUCE_ORIGIN, faulty_proxy, quiet_retry_warnings
from harness.mcp_client import connect
from harness.proxy.errors import shorten

MCP_CHECKS = (
    "jsonrpc_response",
    "error_envelope",
    "invalid_arguments_rejected",
    "valid_arguments_accepted",
    "output_schema_conformance",
    "no_secret_leak",
    "no_stack_trace",
)
HEALTHY_STATUSES = (404,)
"""What a valid call may be refused with over a healthy upstream: an unknown id."""
CALL_TIMEOUT_S = 60.0
SDK_OUTPUT_VALIDATION_ERROR = "Invalid structured content returned by tool"


@dataclass(frozen=True)
class McpFailure(FailureRecord):
    """A failed check on one ``tools/call``, with the JSON-RPC body that reproduces it."""

    jsonrpc: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "jsonrpc": self.jsonrpc}


@dataclass(frozen=True)
class CallOutcome:
    """What one ``tools/call`` got: a result, or the error that stood in for one, and the
    check that error fails."""

    result: types.CallToolResult | None
    error: str | None = None
    failed_check: str = "jsonrpc_response"


class McpCaller:
    """An SDK client on an event loop in a worker thread, called synchronously."""

    def __init__(self, session: Callable[[], contextlib.AbstractAsyncContextManager[Client]]):
        self._session = session
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._client: Client | None = None
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="mcp-fuzz-client", daemon=True)

    def __enter__(self) -> McpCaller:
        self._thread.start()
        self._ready.wait(CALL_TIMEOUT_S)
        if self._failure is not None or self._client is None:
            raise RuntimeError(f"cannot connect: {_reason(self._failure)}")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(CALL_TIMEOUT_S)

    def list_tools(self) -> list[types.Tool]:
        """Every tool the server lists."""
        return self._submit(self._list_tools())

    def call(self, name: str, arguments: dict[str, Any]) -> CallOutcome:
        """Send one ``tools/call``; a JSON-RPC error or a transport failure is an outcome."""
        try:
            return CallOutcome(self._submit(self._client_or_fail().call_tool(name, arguments)))
        except MCPError as error:
            message = f"JSON-RPC error {error.error.code}: {error.error.message}"
            return CallOutcome(None, shorten(message))
        except RuntimeError as error:
            if str(error).startswith(SDK_OUTPUT_VALIDATION_ERROR):
                # The SDK client validates structuredContent against outputSchema itself.
                return CallOutcome(None, shorten(str(error)), "output_schema_conformance")
            return CallOutcome(None, shorten(f"transport failure: {_reason(error)}"))
        except Exception as error:
            return CallOutcome(None, shorten(f"transport failure: {_reason(error)}"))

    def _submit(self, coroutine: Any) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(CALL_TIMEOUT_S)

    def _client_or_fail(self) -> Client:
        assert self._client is not None
        return self._client

    async def _list_tools(self) -> list[types.Tool]:
        tools, cursor = [], None
        while True:
            page = await self._client_or_fail().list_tools(cursor=cursor)
            tools.extend(page.tools)
            cursor = page.next_cursor
            if cursor is None:
                return tools

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        try:
            async with self._session() as client:
                self._loop, self._stop, self._client = (
                    asyncio.get_running_loop(),
                    asyncio.Event(),
                    client,
                )
                self._ready.set()
                await self._stop.wait()
        except BaseException as error:  # reported by __enter__, or ends the thread on exit
            self._failure = error
        finally:
            self._ready.set()


@dataclass(frozen=True)
class McpFuzzOptions:
    """One MCP fuzz run: examples per tool and kind (valid, invalid), the seed, the secrets
    watched for leaks, the statuses a valid call may be refused with."""

    max_examples: int = 100
    seed: int = 0
    secrets: tuple[str, ...] = field(default=(), repr=False)
    refused_statuses: tuple[int, ...] = HEALTHY_STATUSES
    invalid: bool = True
    """Also send invalid arguments (not under upstream faults: they never reach upstream)."""
    success_allowed: bool = True
    """Whether a valid call may succeed (not while the upstream fails on every request)."""


def fuzz_tools(
    caller: McpCaller, options: McpFuzzOptions, *, name: str, reproduce_url: str
) -> RunResult:
    """Fuzz every tool ``caller``'s server lists; the result counts examples and checks."""
    result = RunResult(name=name, seed=options.seed)
    started = time.perf_counter()
    try:
        tools = caller.list_tools()
    except Exception as error:
        result.errors.append(f"tools/list failed: {_reason(error)}")
        tools = []
    for tool in tools:
        kinds: list[tuple[str, st.SearchStrategy[dict[str, Any]] | None]] = [
            ("valid", valid_arguments(tool.input_schema))
        ]
        if options.invalid:
            kinds.append(("invalid", invalid_arguments(tool.input_schema)))
        for kind, strategy in kinds:
            if strategy is not None:
                _fuzz_tool(caller, tool, kind, strategy, options, result, reproduce_url)
    result.duration_s = time.perf_counter() - started
    return result


def _fuzz_tool(
    caller: McpCaller,
    tool: types.Tool,
    kind: str,
    strategy: st.SearchStrategy[dict[str, Any]],
    options: McpFuzzOptions,
    result: RunResult,
    reproduce_url: str,
) -> None:
    label = f"tools/call {tool.name}"
    output = Draft202012Validator(tool.output_schema) if tool.output_schema else None
    last_failure: list[McpFailure] = []

    def call_once(arguments: dict[str, Any]) -> None:
        result.examples[label] += 1
        outcome = caller.call(tool.name, arguments)
        problems = evaluate(outcome, kind, output, options)
        for check in problems.checked:
            result.checks[label] += 1
            result.check_names[check] += 1
        if problems.failed:
            check, message = problems.failed[0]
            body = jsonrpc_body(tool.name, arguments)
            last_failure[:] = [
                McpFailure(
                    operation=label,
                    check=check,
                    title=f"{kind} arguments: {check}",
                    message=message,
                    status=_status(outcome),
                    curl=curl_command(reproduce_url, body),
                    jsonrpc=body,
                )
            ]
            raise AssertionError(f"{check}: {message}")

    test = given(arguments=strategy)(lambda arguments: call_once(arguments))
    test = settings(
        max_examples=options.max_examples,
        database=None,
        deadline=None,
        derandomize=False,
        print_blob=False,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )(test)
    test = seed(options.seed)(test)
    try:
        test()
    except Exception as error:
        if last_failure:
            result.failures.append(last_failure[0])
        else:
            result.errors.append(f"{label} ({kind} arguments): {_reason(error)}")


@dataclass
class Verdict:
    """The checks one call went through, and the ones it failed (name, message)."""

    checked: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def check(self, name: str, ok: bool, message: str) -> None:
        self.checked.append(name)
        if not ok:
            self.failed.append((name, message))


def evaluate(
    outcome: CallOutcome, kind: str, output: Draft202012Validator | None, options: McpFuzzOptions
) -> Verdict:
    """Apply every check to one call's outcome."""
    verdict = Verdict()
    result = outcome.result
    if result is None:
        verdict.check(outcome.failed_check, False, outcome.error or "no result")
        return verdict
    verdict.check("jsonrpc_response", True, "")
    text = "\n".join(b.text for b in result.content if isinstance(b, types.TextContent))
    exposed = text + json.dumps(result.structured_content)
    leaked = [s for s in options.secrets if len(s) >= MIN_SECRET_LENGTH and s in exposed]
    verdict.check("no_secret_leak", not leaked, f"secret #{len(leaked)} echoed in the result")
    trace = TRACEBACK_PATTERN.search(exposed)
    verdict.check("no_stack_trace", trace is None, f"stack trace text {trace and trace.group(0)!r}")
    status = _status(outcome)
    if result.is_error:
        verdict.check("error_envelope", *_envelope_problem(result))
    if kind == "invalid":
        verdict.check(
            "invalid_arguments_rejected",
            result.is_error and status == 400,
            f"expected an isError result with status 400, got {_described(result, status)}",
        )
        return verdict
    accepted = status in options.refused_statuses if result.is_error else options.success_allowed
    expected = "a result or " if options.success_allowed else ""
    verdict.check(
        "valid_arguments_accepted",
        accepted,
        f"expected {expected}status {_statuses(options)}, got {_described(result, status)}",
    )
    if not result.is_error and output is not None:
        problem = next(iter(output.iter_errors(result.structured_content)), None)
        verdict.check(
            "output_schema_conformance",
            problem is None,
            f"structuredContent fails outputSchema at "
            f"/{'/'.join(map(str, problem.absolute_path)) if problem else ''}: "
            f"{problem.message if problem else ''}",
        )
    return verdict


def _envelope_problem(result: types.CallToolResult) -> tuple[bool, str]:
    body = result.structured_content
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return False, f"isError result without an 'error' object: {str(body)[:120]}"
    if not isinstance(error.get("status"), int):
        return False, "error.status is not an integer"
    for key in ("code", "message"):
        if not isinstance(error.get(key), str) or not error[key]:
            return False, f"error.{key} is not a non-empty string"
    texts = [b.text for b in result.content if isinstance(b, types.TextContent)]
    if not texts or _json_or_none(texts[0]) != body:
        return False, "the text block is not the JSON of structuredContent"
    return True, ""


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _status(outcome: CallOutcome) -> int | None:
    result = outcome.result
    if result is None or not result.is_error or not isinstance(result.structured_content, dict):
        return None
    error = result.structured_content.get("error")
    return error.get("status") if isinstance(error, dict) else None


def _described(result: types.CallToolResult, status: int | None) -> str:
    if not result.is_error:
        return "a successful result"
    return f"an isError result with status {status}"


def _statuses(options: McpFuzzOptions) -> str:
    return ", ".join(str(status) for status in options.refused_statuses) or "none"


def jsonrpc_body(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """The JSON-RPC request of one call, as sent on the wire."""
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }


def curl_command(url: str, body: dict[str, Any]) -> str:
    """A curl command replaying ``body`` against a stateless server (handshake-era header)."""
    data = json.dumps(body, ensure_ascii=False).replace("'", "'\\''")
    return (
        f"curl -sS -X POST '{url}' -H 'Content-Type: application/json' "
        "-H 'Accept: application/json, text/event-stream' "
        f"-H 'MCP-Protocol-Version: {LATEST_HANDSHAKE_VERSION}' "
        f"-H \"Authorization: Bearer $CHATGPT_SECRET\" --data-binary '{data}'"
    )


def run_mcp_offline(options: McpFuzzOptions, secret: str) -> RunResult:
    """Fuzz the MCP endpoint of the proxy wired in-process to the healthy offline mock."""
    from harness.proxy.app import create_offline_app

    app = create_offline_app(secret)
    return _fuzz_session(
        lambda: connect(app=app, token=secret),
        _watching(options, secret),
        name="mcp-contract",
        reproduce_url=REPRODUCE_ORIGIN + "/mcp",
    )


def run_mcp_url(url: str, options: McpFuzzOptions, secret: str | None) -> RunResult:
    """Fuzz the MCP server at ``url`` (e.g. ``http://127.0.0.1:8000/mcp``)."""
    return _fuzz_session(
        lambda: connect(url, token=secret),
        _watching(options, secret),
        name="mcp-contract",
        reproduce_url=url,
    )


def run_mcp_fault(scenario: FaultScenario, options: McpFuzzOptions, secret: str) -> RunResult:
    """Fuzz the MCP endpoint while the upstream fails as ``scenario`` says (valid calls)."""
    expected = tuple(int(status) for status in scenario.expected_statuses)
    fault_options = replace(
        _watching(options, secret),
        refused_statuses=expected,
        invalid=False,
        success_allowed=False,
    )
    with quiet_retry_warnings(), faulty_proxy(scenario, secret) as app:
        return _fuzz_session(
            lambda: connect(app=app, token=secret),
            fault_options,
            name=f"mcp-fault-{scenario.name}",
            reproduce_url=REPRODUCE_ORIGIN + "/mcp",
        )


def _fuzz_session(
    session: Callable[[], contextlib.AbstractAsyncContextManager[Client]],
    options: McpFuzzOptions,
    *,
    name: str,
    reproduce_url: str,
) -> RunResult:
    try:
        with McpCaller(session) as caller:
            return fuzz_tools(caller, options, name=name, reproduce_url=reproduce_url)
    except RuntimeError as error:
        result = RunResult(name=name, seed=options.seed)
        result.errors.append(str(error))
        return result


def _watching(options: McpFuzzOptions, secret: str | None) -> McpFuzzOptions:
    secrets = tuple(value for value in (*options.secrets, secret) if value)
    return replace(options, secrets=secrets)


def _reason(error: BaseException | None) -> str:
    if isinstance(error, BaseExceptionGroup) and error.exceptions:
        return _reason(error.exceptions[0])
    if error is None:
        return "no answer"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
