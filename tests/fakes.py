"""Fakes the tests share: chat-completion bodies, fake model endpoints, a three-case suite, the
run configuration that points an eval at them, a spec file written from a document, and a scratch
git repository.

Import with ``from fakes import ...`` (like ``secret_forms``); a fake used by one test module
only stays in that module.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from harness.eval.runner import RunConfig

MODEL_URL = "http://models.test/v1"
"""The base URL of the fake model endpoint (tests mock it with respx)."""
API_KEY = "sk-test-0123456789abcdefSECRET"
"""The model API key the eval tests set (it must never reach a cassette or a report)."""
SUITE = """\
cases:
  - id: startup-en
    prompt: startup podcasts in English
    tags: [search, critical]
    expect:
      - operation: searchPodcasts
        arguments: {q: startup, language: English}
  - id: genres
    prompt: list the podcast genres
    tags: [browse]
    expect:
      - operation: getGenres
  - id: weather
    prompt: what is the weather today
    tags: [irrelevant]
    expect: none
"""
"""A suite of three cases: a search, a browse and one expecting no call."""

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


ANSWERS: dict[str, Answer] = {
    "startup podcasts in English": [("searchPodcasts", '{"q": "startup", "language": "English"}')],
    "list the podcast genres": [("getGenres", '{"top_level_only": 5}')],
    "what is the weather today": "I cannot check the weather.",
}
"""What :data:`fake_model` answers to each prompt of :data:`SUITE` (tests may add prompts)."""

fake_model = scripted_model(ANSWERS)


def constant_model(answer: Answer) -> Callable[[httpx.Request], httpx.Response]:
    """A chat-completions endpoint that gives ``answer`` to every request, tool results or not."""
    body = chat_completion(assistant_message(answer))
    return lambda request: httpx.Response(200, json=body)


def run_config(root: Path, suite: Path, **overrides: Any) -> RunConfig:
    """An eval of ``suite`` against the fake model at :data:`MODEL_URL`, recording missing
    cassettes (``record="once"``) under ``root``/cassettes and writing ``root``/reports."""
    options: dict[str, Any] = {
        "suite": suite,
        "backend": "openai",
        "model": "fake-model",
        "base_url": MODEL_URL,
        "cassettes": root / "cassettes",
        "out": root / "reports",
        "record": "once",
        "progress": False,
    }
    return RunConfig(**(options | overrides))


def write_spec(tmp_path: Path, document: dict) -> Path:
    """``document`` written as ``tmp_path/openapi.json``; its path."""
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(document, indent=2))
    return path


def commit_all(root: Path) -> None:
    """Make ``root`` a git repository whose one commit, ``base``, holds everything in it."""
    for command in (
        ["init", "-q"],
        ["add", "."],
        ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base"],
    ):
        subprocess.run(["git", *command], cwd=root, check=True)
