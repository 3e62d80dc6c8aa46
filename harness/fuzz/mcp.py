"""`harness fuzz --surface mcp`: property-based ``tools/call`` against an MCP server.

For every tool of ``tools/list``, hypothesis drives valid and invalid arguments
(:mod:`harness.fuzz.mcp_arguments`) through the SDK's client, checks every result and, on a
failure, shrinks it to a minimal call, reported as the JSON-RPC body (and a curl command) that
reproduces it, with the seed. The same upstream fault scenarios as the REST fuzz then run
against an in-process proxy whose mock upstream misbehaves, with valid arguments only.

Checks on every call (:mod:`harness.fuzz.mcp_checks`): ``jsonrpc_response`` (a result, never
a transport failure or a JSON-RPC error), ``error_envelope`` (an ``isError`` result carries the
REST error envelope, also as its text), ``invalid_arguments_rejected`` (``isError`` with status
400), ``valid_arguments_accepted`` (a result, or a documented status: 404 for an unknown id,
the scenario's mapped status under faults), ``output_schema_conformance``
(``structuredContent`` validates against ``outputSchema``), ``no_secret_leak`` and
``no_stack_trace``.

hypothesis runs synchronously; the client lives on an event loop in a worker thread
(:class:`~harness.fuzz.mcp_caller.McpCaller`), which each example calls into.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import mcp_types as types
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from mcp import Client
from mcp_types.version import LATEST_HANDSHAKE_VERSION

from harness.fuzz.faults import FaultScenario
from harness.fuzz.mcp_arguments import invalid_arguments, valid_arguments
from harness.fuzz.mcp_caller import McpCaller
from harness.fuzz.mcp_checks import HEALTHY_STATUSES, CheckSettings, evaluate, status_of
from harness.fuzz.runner import FailureRecord, RunResult
from harness.fuzz.suite import REPRODUCE_ORIGIN, faulty_proxy, quiet_retry_warnings
from harness.mcp_client import connect, describe_error


@dataclass(frozen=True)
class McpFailure(FailureRecord):
    """A failed check on one ``tools/call``, with the JSON-RPC body that reproduces it."""

    jsonrpc: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "jsonrpc": self.jsonrpc}


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

    def check_settings(self) -> CheckSettings:
        """What the checks expect under these options."""
        return CheckSettings(self.secrets, self.refused_statuses, self.success_allowed)


def fuzz_tools(
    caller: McpCaller, options: McpFuzzOptions, *, name: str, reproduce_url: str
) -> RunResult:
    """Fuzz every tool ``caller``'s server lists; the result counts examples and checks."""
    result = RunResult(name=name, seed=options.seed)
    started = time.perf_counter()
    try:
        tools = caller.list_tools()
    except Exception as error:
        result.errors.append(f"tools/list failed: {describe_error(error)}")
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
    checks = options.check_settings()

    def call_once(arguments: dict[str, Any]) -> None:
        result.examples[label] += 1
        outcome = caller.call(tool.name, arguments)
        problems = evaluate(outcome, kind, output, checks)
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
                    status=status_of(outcome),
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
            result.errors.append(f"{label} ({kind} arguments): {describe_error(error)}")


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


def run_mcp_offline(
    options: McpFuzzOptions, secret: str, request_log: Path | None = None
) -> RunResult:
    """Fuzz the MCP endpoint of the proxy wired in-process to the healthy offline mock
    (logging every call to ``request_log``, from which budgets are measured)."""
    from harness.proxy.app import create_offline_app

    app = create_offline_app(secret, request_log=request_log)
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
