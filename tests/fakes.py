"""Fakes the tests share: chat-completion bodies and a scripted model endpoint.

Import with ``from fakes import ...`` (like ``secret_forms``); a fake used by one test module
only stays in that module.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import httpx

Answer = str | list[tuple[str, str]]
"""What a fake model answers: text, or tool calls as (name, JSON arguments) pairs."""


def assistant_message(answer: Answer) -> dict[str, Any]:
    """The assistant message of ``answer``: text content, or tool calls ``call_0``, ``call_1``..."""
    if isinstance(answer, str):
        return {"role": "assistant", "content": answer}
    calls = [
        {"id": f"call_{index}", "type": "function", "function": {"name": name, "arguments": args}}
        for index, (name, args) in enumerate(answer)
    ]
    return {"role": "assistant", "content": None, "tool_calls": calls}


def chat_completion(
    message: dict[str, Any],
    *,
    model: str = "fake",
    finish_reason: str = "stop",
    prompt_tokens: int = 200,
    completion_tokens: int = 10,
) -> dict[str, Any]:
    """An OpenAI chat-completion response body carrying ``message``."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "finish_reason": finish_reason, "message": message}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def scripted_model(
    answers: Mapping[str, Answer] | Callable[[str], Answer],
) -> Callable[[httpx.Request], httpx.Response]:
    """A chat-completions endpoint (for respx or ``httpx.MockTransport``) that answers the
    last user prompt from ``answers``, and says "Done." once a tool result came back."""

    def respond(request: httpx.Request) -> httpx.Response:
        messages = json.loads(request.content)["messages"]
        if messages[-1]["role"] == "tool":
            return httpx.Response(200, json=chat_completion(assistant_message("Done.")))
        prompt = next(m["content"] for m in reversed(messages) if m["role"] == "user")
        answer = answers(prompt) if callable(answers) else answers[prompt]
        return httpx.Response(200, json=chat_completion(assistant_message(answer)))

    return respond
