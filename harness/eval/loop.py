"""The function-calling loop for one case: ask the model, check its tool calls, run them.

Every tool call is recorded as a :class:`ToolCall`. A call to an unknown tool, arguments that
are not valid JSON or not an object, and arguments that fail the tool's JSON schema are
recorded with ``error`` set, never raised. With an executor (``--execute``) valid calls run
against the proxy and their results are fed back as ``role: tool`` messages (an invalid call
gets an error message instead) until the model answers without tool calls or ``max_turns``
model turns have been made. Tool results longer than ``MAX_TOOL_RESULT_CHARS`` are cut,
with a marker saying how much was dropped, to keep the model's context small.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from jsonschema.exceptions import ValidationError, best_match

from harness.contract.tools import tool_call_to_request
from harness.eval.backends import Backend, BackendError, RawToolCall
from harness.proxy.scalar_check import object_check
from harness.proxy.validation import ECMAValidator, ecma_regex
from harness.results import ReasonCode, ToolCall

MAX_TOOL_RESULT_CHARS = 4000

Executor = Callable[[ToolCall], Awaitable[str]]


@dataclass
class Conversation:
    """What one case's conversation produced."""

    transcript: list[dict[str, Any]]
    calls: list[ToolCall] = field(default_factory=list)
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float = 0.0
    turns: int = 0
    error: str | None = None


def opening_messages(
    manifest: Mapping[str, Any], messages: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A case's first request: the manifest's description_for_model as the system message
    (the local model sees the tools only when there is one), then the case's messages."""
    system_prompt = str(manifest.get("description_for_model", "")).strip()
    return [{"role": "system", "content": system_prompt}, *messages]


class ToolArguments:
    """The check of a tool's arguments against its parameters schema: directly when the
    schema is an object of scalar parameters (:func:`~harness.proxy.scalar_check.object_check`),
    else by jsonschema, which also words every error; patterns read as ECMA-262 either way, as
    the proxy enforces them."""

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        self.validator = ECMAValidator(parameters)
        self._passes = object_check(parameters, ecma_regex)

    def violation(self, arguments: dict[str, Any]) -> ValidationError | None:
        """The error that best explains why ``arguments`` fail the schema, or None."""
        if self._passes is not None and self._passes(arguments):
            return None
        return best_match(self.validator.iter_errors(arguments))


def tool_validators(tools: Sequence[dict[str, Any]]) -> dict[str, ToolArguments]:
    """The arguments check of each tool, keyed by tool name."""
    return {
        tool["function"]["name"]: ToolArguments(tool["function"]["parameters"]) for tool in tools
    }


def parse_tool_call(raw: RawToolCall, validators: Mapping[str, ToolArguments]) -> ToolCall:
    """Check one emitted tool call; problems go to ``ToolCall.error``."""
    try:
        arguments = json.loads(raw.arguments) if raw.arguments.strip() else {}
    except json.JSONDecodeError as error:
        why = f"arguments are not valid JSON: {error}"
        return ToolCall(raw.name, None, raw.arguments, why, ReasonCode.INVALID_JSON)
    if not isinstance(arguments, dict):
        why = f"arguments are a JSON {type(arguments).__name__}, not object"
        return ToolCall(raw.name, None, raw.arguments, why, ReasonCode.ARGUMENTS_NOT_OBJECT)
    validator = validators.get(raw.name)
    if validator is None:
        why = f"unknown tool {raw.name!r}"
        return ToolCall(raw.name, arguments, raw.arguments, why, ReasonCode.UNKNOWN_TOOL)
    violation = validator.violation(arguments)
    if violation is not None:
        where = "/" + "/".join(str(part) for part in violation.absolute_path)
        why = f"arguments fail the schema at {where}: {violation.message}"
        return ToolCall(raw.name, arguments, raw.arguments, why, ReasonCode.SCHEMA_VIOLATION)
    return ToolCall(raw.name, arguments, raw.arguments)


def proxy_executor(spec: Any, client: httpx.AsyncClient) -> Executor:
    """An executor that sends each valid tool call to the proxy behind ``client``."""

    async def execute(call: ToolCall) -> str:
        method, path, query = tool_call_to_request(spec, call.name, call.arguments or {})
        response = await client.request(method, path, params=query)
        return truncate(response.text)

    return execute


def truncate(text: str, limit: int = MAX_TOOL_RESULT_CHARS) -> str:
    """``text`` cut to ``limit`` characters, with a marker saying how many were dropped."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[truncated {len(text) - limit} characters]"


async def run_conversation(
    backend: Backend,
    messages: Sequence[dict[str, Any]],
    tools: Sequence[dict[str, Any]],
    *,
    transport: httpx.AsyncBaseTransport,
    execute: Executor | None = None,
    max_turns: int = 3,
    validators: Mapping[str, ToolArguments] | None = None,
) -> Conversation:
    """Run one case's conversation; without ``execute`` only the first turn is made.

    A model call that fails for good ends the conversation with ``error`` set; what was said
    and called before it is kept. ``validators`` are ``tool_validators(tools)``, which a
    caller running many conversations builds once (built here when not given).
    """
    if validators is None:
        validators = tool_validators(tools)
    conversation = Conversation(transcript=list(messages))
    for _ in range(max_turns if execute else 1):
        try:
            completion = await backend.complete(conversation.transcript, tools, transport=transport)
        except BackendError as error:
            conversation.error = str(error)
            break
        conversation.turns += 1
        conversation.latency_s += completion.latency_s
        conversation.prompt_tokens = _add(conversation.prompt_tokens, completion.prompt_tokens)
        conversation.completion_tokens = _add(
            conversation.completion_tokens, completion.completion_tokens
        )
        conversation.transcript.append(completion.message)
        if not completion.tool_calls:
            break
        for raw in completion.tool_calls:
            call = parse_tool_call(raw, validators)
            conversation.calls.append(call)
            if execute is not None:
                content = await _tool_result(call, execute)
                conversation.transcript.append(
                    {"role": "tool", "tool_call_id": raw.id, "content": content}
                )
    return conversation


async def _tool_result(call: ToolCall, execute: Executor) -> str:
    if call.error is not None:
        return json.dumps({"error": {"code": "invalid_tool_call", "message": call.error}})
    return await execute(call)


def _add(total: int | None, value: int | None) -> int | None:
    if value is None:
        return total
    return (total or 0) + value
