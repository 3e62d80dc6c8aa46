"""Commands import only what they use: a fresh interpreter shows which heavy packages load."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration  # starts servers or subprocesses

HEAVY = ("pandas", "numpy", "pyarrow", "jinja2", "scipy", "schemathesis", "vcr", "mcp")


def loaded_after(module: str) -> set[str]:
    code = (
        f"import importlib, json, sys; importlib.import_module({module!r}); "
        f"print(json.dumps([name for name in {HEAVY!r} if name in sys.modules]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return set(json.loads(result.stdout))


@pytest.mark.parametrize(
    ("module", "allowed"),
    [
        ("harness.cli", set()),
        ("harness.report.cli", set()),  # report, compare: jinja2 only when writing HTML
        ("harness.eval.cli", {"vcr"}),  # a replay needs no pandas, MCP SDK or --affected-by diff
        ("harness.eval.scoring", set()),  # scipy only to pair several calls
        ("harness.contract.cli", set()),
        ("harness.commands.diff", set()),
    ],
)
def test_a_command_module_loads_no_heavy_package_it_does_not_need(
    module: str, allowed: set[str]
) -> None:
    assert loaded_after(module) <= allowed
