"""Canonical request matching and the reason a request has no recording.

Two requests match when method, URL path, query and canonical body agree. The host and port
are ignored (a local model server listens on a random port). The canonical body is the JSON
body with volatile fields dropped and the ids of tool calls numbered in order of appearance,
so that what decides the model's answer (model, messages, tools, tool_choice, sampling
parameters) is compared, and nothing else.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from vcr.request import Request

# Fields that do not change what a model answers.
VOLATILE_FIELDS = frozenset({"stream_options", "user", "metadata", "request_id", "store"})
SAMPLING_FIELDS = (
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "seed",
    "max_tokens",
    "max_completion_tokens",
    "n",
    "stop",
    "frequency_penalty",
    "presence_penalty",
    "repeat_penalty",
    "logit_bias",
    "parallel_tool_calls",
    "response_format",
    "stream",
)


def canonical_body(body: bytes | str | None) -> Any:
    """The body as compared: parsed JSON without volatile fields, or the raw bytes.

    The result is shared between calls with the same body and must not be modified.
    """
    if body is None:
        return b""
    return _canonical_body_of(body.encode() if isinstance(body, str) else bytes(body))


# vcrpy compares the same recorded and asked bodies several times per request (can it
# play? then play), each a JSON document of some 15 kB: parse each body once.
@functools.lru_cache(maxsize=64)
def _canonical_body_of(raw: bytes) -> Any:
    try:
        document = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(document, dict):
        return document
    canonical = {key: value for key, value in document.items() if key not in VOLATILE_FIELDS}
    if isinstance(canonical.get("messages"), list):
        canonical["messages"] = _number_tool_call_ids(canonical["messages"])
    return canonical


def _number_tool_call_ids(messages: list[Any]) -> list[Any]:
    """Replace tool-call ids (random per server) by their order of first appearance."""
    numbers: dict[str, str] = {}

    def number(call_id: Any) -> Any:
        if not isinstance(call_id, str):
            return call_id
        return numbers.setdefault(call_id, f"call_{len(numbers)}")

    result = []
    for message in messages:
        if not isinstance(message, dict):
            result.append(message)
            continue
        message = dict(message)
        if isinstance(message.get("tool_calls"), list):
            message["tool_calls"] = [
                {**call, "id": number(call.get("id"))} if isinstance(call, dict) else call
                for call in message["tool_calls"]
            ]
        if "tool_call_id" in message:
            message["tool_call_id"] = number(message["tool_call_id"])
        result.append(message)
    return result


def canonical_body_matcher(r1: Request, r2: Request) -> None:
    """vcrpy matcher: raises AssertionError when the canonical bodies differ."""
    if r1.body == r2.body:  # the same bytes have the same canonical body: no parsing
        return
    if canonical_body(r1.body) != canonical_body(r2.body):
        raise AssertionError("; ".join(body_differences(r1.body, r2.body)) or "bodies differ")


def _same_route(asked: Request, recorded: Request) -> bool:
    route = (asked.method, asked.path, asked.query)
    return route == (recorded.method, recorded.path, recorded.query)


def stale_reason(asked: Request, recorded: list[Request]) -> str:
    """Why ``asked`` has no unplayed recording among ``recorded``, in one line."""
    if not recorded:
        return "no cassette recorded"
    same_route = [request for request in recorded if _same_route(asked, request)]
    if not same_route:
        return f"no recorded request for {asked.method} {asked.path}" + (
            f"?{asked.parsed_uri.query}" if asked.parsed_uri.query else ""
        )
    candidates = [body_differences(request.body, asked.body) for request in same_route]
    best = min(candidates, key=len)
    if not best:
        return "request sent more times than it was recorded"
    return "; ".join(best)


def body_differences(recorded_body: Any, asked_body: Any) -> list[str]:
    """Human reasons why two request bodies do not match (empty when they do)."""
    recorded, asked = canonical_body(recorded_body), canonical_body(asked_body)
    if recorded == asked:
        return []
    if not isinstance(recorded, dict) or not isinstance(asked, dict):
        return ["request body changed"]
    changed = {
        name for name in recorded.keys() | asked.keys() if recorded.get(name) != asked.get(name)
    }
    reasons = []
    if "model" in changed:
        reasons.append(
            f"model changed: recorded {recorded.get('model')}, asked {asked.get('model')}"
        )
    if "tools" in changed:
        reasons.append(_tools_reason(recorded.get("tools") or [], asked.get("tools") or []))
    if "messages" in changed:
        reasons.append(
            _messages_reason(recorded.get("messages") or [], asked.get("messages") or [])
        )
    if "tool_choice" in changed:
        reasons.append("tool_choice changed")
    sampling = [name for name in SAMPLING_FIELDS if name in changed]
    if sampling:
        reasons.append(f"sampling parameters changed: {', '.join(sampling)}")
    others = sorted(changed - {"model", "tools", "messages", "tool_choice", *SAMPLING_FIELDS})
    if others:
        reasons.append(f"request fields changed: {', '.join(others)}")
    return reasons


def _tool_name(tool: Any) -> str:
    if isinstance(tool, dict):
        function = tool.get("function")
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            return function["name"]
    return json.dumps(tool, sort_keys=True)[:40]


def _strict_mode(tools: list[Any]) -> bool:
    """Whether tools were sent as `--strict` sends them (every function says ``strict``)."""
    functions = [tool.get("function") for tool in tools if isinstance(tool, dict)]
    return bool(functions) and all(
        isinstance(function, dict) and "strict" in function for function in functions
    )


def _tools_reason(recorded: list[Any], asked: list[Any]) -> str:
    if _strict_mode(asked) != _strict_mode(recorded):
        if _strict_mode(asked):
            return "no recording with strict tools (recorded without --strict)"
        return "no recording with non-strict tools (recorded with --strict)"
    old = {_tool_name(tool): tool for tool in recorded}
    new = {_tool_name(tool): tool for tool in asked}
    changes = [f"tool {name} added" for name in new if name not in old]
    changes += [f"tool {name} removed" for name in old if name not in new]
    for name in new.keys() & old.keys():
        if new[name] == old[name]:
            continue
        before, after = old[name].get("function", {}), new[name].get("function", {})
        parts = [
            part for part in ("description", "parameters") if before.get(part) != after.get(part)
        ]
        changes.append(f"tool {name} {'/'.join(parts) or 'definition'} changed")
    if not changes:
        changes = ["tool order changed"]
    changes.sort()
    shown = ", ".join(changes[:3])
    if len(changes) > 3:
        shown += f" and {len(changes) - 3} more"
    return f"spec changed: {shown}"


def _common_prefix(first: list[Any], second: list[Any]) -> int:
    """How many leading messages two conversations share."""
    count = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        count += 1
    return count


def _messages_reason(recorded: list[Any], asked: list[Any]) -> str:
    def split(messages: list[Any]) -> tuple[list[Any], list[Any]]:
        system = [m for m in messages if isinstance(m, dict) and m.get("role") == "system"]
        rest = [m for m in messages if not (isinstance(m, dict) and m.get("role") == "system")]
        return system, rest

    old_system, old_rest = split(recorded)
    new_system, new_rest = split(asked)
    if old_system == new_system and len(new_rest) > len(old_rest) == _common_prefix(
        old_rest, new_rest
    ):
        turns = 1 + sum(isinstance(m, dict) and m.get("role") == "assistant" for m in old_rest)
        asked_turn = 1 + sum(isinstance(m, dict) and m.get("role") == "assistant" for m in new_rest)
        return (
            f"no recording of turn {asked_turn} (the recording ends after turn {turns}; "
            "record with --execute)"
        )
    if old_rest == new_rest:
        return "system prompt changed"
    if old_system != new_system:
        return "system prompt and prompt changed"
    return "prompt changed"
