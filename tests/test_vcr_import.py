"""vcrpy imported without its patch targets: a `harness eval` process never loads them, and
they still import normally, and vcrpy still records and replays, once it is imported."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.cassettes.vcr_import import PATCH_TARGETS, UNUSED_PARTS

HIDDEN = PATCH_TARGETS + UNUSED_PARTS

pytestmark = pytest.mark.integration  # subprocesses

REPO_ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, cwd: Path = REPO_ROOT) -> dict:
    """Run ``code`` in a fresh interpreter; its last stdout line is JSON."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_replay_of_the_committed_suite_loads_no_patch_target(tmp_path: Path) -> None:
    seen = run_python(
        f"""
        import json, sys
        from harness.cli import main
        try:
            main(["eval", "--out", {str(tmp_path)!r}, "--quiet"])
        except SystemExit as exit:
            code = exit.code
        print(json.dumps({{
            "exit": code,
            "vcr": "vcr" in sys.modules,
            "loaded": sorted(name for name in {HIDDEN!r} if name in sys.modules),
            "httpx": "httpx" in sys.modules,
        }}))
        """
    )
    assert seen == {"exit": 0, "vcr": True, "loaded": [], "httpx": True}


def test_hidden_targets_import_normally_afterwards_and_vcrpy_still_replays(
    tmp_path: Path,
) -> None:
    seen = run_python(
        f"""
        import asyncio, json, sys
        from harness.cassettes.vcr_import import import_vcr
        import_vcr()
        hidden = [name for name in {HIDDEN!r} if name in sys.modules]
        import aiohttp, requests, urllib3  # un-hidden: they import as usual
        import httpx._main

        import httpx
        from harness.cassettes.transport import CassetteTransport

        def answer(request):
            body = json.dumps({{"echo": request.url.params["q"]}}).encode()
            return httpx.Response(200, stream=httpx.ByteStream(body))

        async def ask(transport):
            async with httpx.AsyncClient(transport=transport) as client:
                response = await client.get("http://upstream.test/search?q=startup")
                return response.json()

        async def main():
            path = {str(tmp_path / "c.yaml")!r}
            recorder = CassetteTransport(path, "all", httpx.MockTransport(answer))
            recorded = await ask(recorder)  # saved after each new exchange
            player = CassetteTransport(path, "none", httpx.MockTransport(answer))
            return recorded, await ask(player)

        recorded, replayed = asyncio.run(main())
        print(json.dumps({{
            "hidden": hidden,
            "aiohttp": hasattr(aiohttp, "ClientSession"),
            "httpx_cli": hasattr(httpx._main, "main"),
            "recorded": recorded,
            "replayed": replayed,
        }}))
        """
    )
    assert seen == {
        "hidden": [],
        "aiohttp": True,
        "httpx_cli": True,
        "recorded": {"echo": "startup"},
        "replayed": {"echo": "startup"},
    }


def test_a_target_imported_before_vcrpy_is_patchable_as_usual() -> None:
    seen = run_python(
        """
        import json
        import aiohttp.client
        from harness.cassettes.vcr_import import import_vcr
        import_vcr()
        import vcr.patch
        print(json.dumps(hasattr(vcr.patch, "_AiohttpClientSessionRequest")))
        """
    )
    assert seen is True
