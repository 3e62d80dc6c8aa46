"""No encoding of any secret reaches any file the harness writes, through the real sinks.

The proxy runs in this process under uvicorn with the access log and request log of
`harness serve`; requests carry the secrets in their query, path and headers in several
encodings. An eval run records a cassette through the real vcrpy-based transport against a
respx-mocked model that echoes the secrets back, replays it, and writes its reports. Then
every file written is searched for every form of every secret.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx
import uvicorn
import yaml
from fakes import MODEL_URL, chat_completion, run_config
from secret_forms import encodings, leaks

from harness import results
from harness.commands.serve import _configure_logging
from harness.eval.runner import run_eval
from harness.mock.app import MOCK_BASE_URL, create_mock_app
from harness.offline import create_proxy
from harness.proxy.settings import ProxySettings
from harness.report.write import write_reports
from harness.results import RESULTS_FILE
from harness.secrets import PLACEHOLDER

pytestmark = pytest.mark.integration  # starts servers or subprocesses


def read_results(path: Path) -> list[dict]:
    """The records of a results file as the JSON objects on its lines."""
    return [result.to_dict() for result in results.read_results(path)]


CHATGPT_SECRET = "chatgpt-s3cret-XYZ-123"
LISTEN_API_KEY = 'listen"key\\0b5e8d6a93c1'
OPENAI_API_KEY = "sk-e2e-0123456789abcdefSECRET"
SERVICE_TOKEN = "svc tok/&<x>+é-77aa"
ENVIRONMENT = {
    "CHATGPT_SECRET": CHATGPT_SECRET,
    "LISTEN_API_KEY": LISTEN_API_KEY,
    "OPENAI_API_KEY": OPENAI_API_KEY,
    "E2E_SERVICE_TOKEN": SERVICE_TOKEN,
}
SECRETS = list(ENVIRONMENT.values())
# The forms sent on the wire: each is percent-encoded once more by the client where needed.
SENT_FORMS = ("raw", "percent", "percent, lower-case hex", "json", "base64", "base64, url-safe")


def query_targets(secret: str) -> list[str]:
    """Request targets carrying ``secret`` as a query value and name, exactly as written."""
    forms = encodings(secret)
    raw = [forms[name] for name in ("percent", "percent, lower-case hex", "percent, + for space")]
    raw.append(forms["percent, every character"])
    targets = [f"/api/v2/search_podcasts?q={form}" for form in raw]
    targets += [f"/api/v2/genres?{form}=1" for form in raw[:2]]
    return targets


@contextlib.contextmanager
def proxy_server(settings: ProxySettings, access_log: Path) -> Iterator[str]:
    """The proxy under uvicorn on a free port, its log output (uvicorn's access log
    included) configured as `harness serve` does and written to ``access_log``."""
    # as in a fresh `harness serve` process, whatever earlier in-process servers configured
    loggers = [
        logging.getLogger(name) for name in ("", "uvicorn", "uvicorn.access", "uvicorn.error")
    ]
    saved = [(logger, logger.handlers[:], logger.level, logger.propagate) for logger in loggers]
    for logger in loggers[1:]:
        logger.handlers, logger.propagate = [], True
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_proxy(settings, upstream_transport=httpx.ASGITransport(app=create_mock_app()))
    stream = access_log.open("w", encoding="utf-8")
    try:
        with contextlib.redirect_stderr(stream):
            _configure_logging(settings, "debug")
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="debug", log_config=None
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "the proxy did not start"
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=30)
    finally:
        for logger, handlers, level, propagate in saved:
            logger.handlers, logger.level, logger.propagate = handlers, level, propagate
        stream.close()


def drive_the_proxy(base_url: str) -> list[int]:
    auth = {"Authorization": f"Bearer {CHATGPT_SECRET}"}
    statuses = []
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for secret in SECRETS:
            forms = encodings(secret)
            for target in query_targets(secret):
                statuses.append(client.get(target, headers=auth).status_code)
            for name in SENT_FORMS:
                response = client.get(
                    "/api/v2/search_podcasts", params={"q": forms[name]}, headers=auth
                )
                statuses.append(response.status_code)
            # in the path, as a wrong bearer token, and in a header nobody reads
            statuses.append(
                client.get(f"/api/v2/podcasts/{forms['percent']}", headers=auth).status_code
            )
            wrong = {"Authorization": f"Bearer {forms['percent']}", "X-Leak": forms["base64"]}
            statuses.append(client.get("/api/v2/genres", headers=wrong).status_code)
    return statuses


def echo_model(request: httpx.Request) -> httpx.Response:
    """A model that answers with a tool call and a text carrying every secret, encoded."""
    forms = [form for secret in SECRETS for form in encodings(secret).values()]
    basic = base64.b64encode(f"me:{LISTEN_API_KEY}".encode()).decode()
    message = {
        "role": "assistant",
        "content": " ".join(forms),
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {
                    "name": "searchPodcasts",
                    "arguments": json.dumps({"q": f"{SERVICE_TOKEN} {LISTEN_API_KEY}"}),
                },
            }
        ],
    }
    body = chat_completion(
        message, model="echo", finish_reason="tool_calls", prompt_tokens=10, completion_tokens=5
    )
    headers = {"x-echo": encodings(CHATGPT_SECRET)["percent"], "x-basic": f"Basic {basic}"}
    return httpx.Response(200, json=body, headers=headers)


async def record_replay_and_report(tmp_path: Path) -> tuple[Path, Path]:
    suite = tmp_path / "suite.yaml"
    prompt = f"podcasts about {SERVICE_TOKEN} and {encodings(CHATGPT_SECRET)['percent']}"
    case = {"id": "leaky", "prompt": prompt, "expect": [{"operation": "searchPodcasts"}]}
    suite.write_text(yaml.safe_dump({"cases": [case]}, allow_unicode=True), encoding="utf-8")
    with respx.mock(base_url=MODEL_URL) as mock:
        route = mock.post("/chat/completions").mock(side_effect=echo_model)
        recorded = await run_eval(run_config(tmp_path, suite, model="echo-model"))
        replayed = await run_eval(run_config(tmp_path, suite, model="echo-model", record="none"))
    assert route.call_count == 1  # the second run replayed the cassette
    assert route.calls.last.request.headers["authorization"] == f"Bearer {OPENAI_API_KEY}"
    for run in (recorded, replayed):
        (result,) = read_results(run.run_dir / RESULTS_FILE)
        assert result["status"] in {"pass", "fail"}, result
        write_reports(run.run_dir, pricing={})
    return recorded.run_dir, replayed.run_dir


async def test_no_encoding_of_any_secret_in_any_file_written(tmp_path: Path, monkeypatch):
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    access_log, request_log = tmp_path / "access.log", tmp_path / "requests.jsonl"
    settings = ProxySettings.from_env(upstream_url=MOCK_BASE_URL, request_log=request_log)
    with proxy_server(settings, access_log) as base_url:
        statuses = drive_the_proxy(base_url)
    assert 200 in statuses and 400 in statuses and 401 in statuses
    recorded, _ = await record_replay_and_report(tmp_path)

    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    written = [path for path in written if path.name != "suite.yaml"]  # the input
    assert len(written) >= 15
    found = {
        str(path.relative_to(tmp_path)): leaked
        for path in written
        if (leaked := leaks(path.read_bytes().decode("utf-8", "replace"), SECRETS))
    }
    assert found == {}

    access = access_log.read_text(encoding="utf-8")
    assert access.count('"GET /api/v2/') == len(statuses)  # every request was logged
    assert f"q={PLACEHOLDER}" in access
    requests = request_log.read_text(encoding="utf-8").splitlines()
    assert len(requests) >= statuses.count(200) + statuses.count(401)
    assert any(PLACEHOLDER in line for line in requests)
    cassettes = sorted((tmp_path / "cassettes").rglob("*.yaml"))
    assert len(cassettes) == 1 and PLACEHOLDER in cassettes[0].read_text(encoding="utf-8")
    reports = {path.name for path in recorded.iterdir()}
    assert {"results.jsonl", "report.html", "summary.md", "junit.xml", "results.csv"} <= reports


def test_the_forms_checked_are_real_encodings():
    forms = encodings(LISTEN_API_KEY)
    assert forms["json"] == 'listen\\"key\\\\0b5e8d6a93c1'
    assert forms["percent"] == "listen%22key%5C0b5e8d6a93c1"
    assert base64.b64decode(forms["base64"] + "==") == LISTEN_API_KEY.encode()
    assert len(set(encodings(SERVICE_TOKEN).values())) >= 10
