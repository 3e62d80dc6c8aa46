"""The checks of the MCP fuzz, applied to one ``tools/call`` outcome.

``jsonrpc_response`` (a result, never a transport failure or a JSON-RPC error),
``error_envelope`` (an ``isError`` result carries the REST error envelope, also as its text),
``invalid_arguments_rejected`` (``isError`` with status 400), ``valid_arguments_accepted`` (a
result, or a documented status), ``output_schema_conformance`` (``structuredContent``
validates against ``outputSchema``), ``no_secret_leak`` and ``no_stack_trace``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import mcp_types as types
from jsonschema import Draft202012Validator

from harness.fuzz.checks import TRACEBACK_PATTERN
from harness.fuzz.mcp_caller import CallOutcome
from harness.secrets import GUESSED_MIN_LENGTH, secret_pattern

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


@dataclass(frozen=True)
class CheckSettings:
    """What the checks expect of valid calls, and the secrets they watch."""

    secrets: tuple[str, ...] = field(default=(), repr=False)
    refused_statuses: tuple[int, ...] = HEALTHY_STATUSES
    success_allowed: bool = True
    """Whether a valid call may succeed (not while the upstream fails on every request)."""


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
    outcome: CallOutcome, kind: str, output: Draft202012Validator | None, options: CheckSettings
) -> Verdict:
    """Apply every check to one call's outcome."""
    verdict = Verdict()
    result = outcome.result
    if result is None:
        verdict.check(outcome.failed_check, ok=False, message=outcome.error or "no result")
        return verdict
    verdict.check("jsonrpc_response", ok=True, message="")
    text = "\n".join(b.text for b in result.content if isinstance(b, types.TextContent))
    exposed = text + json.dumps(result.structured_content)
    # Every encoding of a secret counts (harness.secrets' policy), as in the REST check.
    leaked = [
        s
        for s in options.secrets
        if len(s) >= GUESSED_MIN_LENGTH and re.search(secret_pattern(s), exposed)
    ]
    verdict.check("no_secret_leak", not leaked, f"secret #{len(leaked)} echoed in the result")
    trace = TRACEBACK_PATTERN.search(exposed)
    verdict.check("no_stack_trace", trace is None, f"stack trace text {trace and trace.group(0)!r}")
    status = status_of(outcome)
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


def status_of(outcome: CallOutcome) -> int | None:
    """The ``error.status`` of an ``isError`` result (``None`` for anything else)."""
    result = outcome.result
    if result is None or not result.is_error or not isinstance(result.structured_content, dict):
        return None
    error = result.structured_content.get("error")
    return error.get("status") if isinstance(error, dict) else None


def _described(result: types.CallToolResult, status: int | None) -> str:
    if not result.is_error:
        return "a successful result"
    return f"an isError result with status {status}"


def _statuses(options: CheckSettings) -> str:
    return ", ".join(str(status) for status in options.refused_statuses) or "none"
