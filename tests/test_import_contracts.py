"""Package dependencies run one way: the import-linter contracts of pyproject.toml hold."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = shutil.which("lint-imports")


def run_lint_imports(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert LINT_IMPORTS, "lint-imports is missing: install the test extras"
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def layered_modules() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (layers,) = (contract["layers"] for contract in contracts if contract["id"] == "layers")
    return {module.strip() for layer in layers for module in layer.split("|")}


@pytest.mark.integration
def test_the_import_contracts_are_kept() -> None:
    result = run_lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_package_and_top_level_module_has_a_layer() -> None:
    """A new package or module cannot escape the direction by being left out of it."""
    package = ROOT / "harness"
    found = {
        f"harness.{path.stem if path.is_file() else path.name}"
        for path in package.iterdir()
        if (path.suffix == ".py" and path.name != "__init__.py")
        or (path.is_dir() and (path / "__init__.py").is_file())
    }
    assert found - layered_modules() == set()
    assert layered_modules() - found == set()


@pytest.mark.integration
def test_an_import_against_the_direction_breaks_the_contract(tmp_path: Path) -> None:
    """The check can fail: the proxy importing the mock, or the contract importing eval."""
    copy = tmp_path / "repo"
    shutil.copytree(
        ROOT / "harness", copy / "harness", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    (copy / "harness" / "proxy" / "backdoor.py").write_text(
        "from harness.mock.app import create_mock_app\n", encoding="utf-8"
    )
    (copy / "harness" / "contract" / "backdoor.py").write_text(
        textwrap.dedent(
            """
            def cases():
                from harness.eval.suite import load_suite

                return load_suite
            """
        ),
        encoding="utf-8",
    )
    result = subprocess.run(
        [LINT_IMPORTS, "--no-cache"],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(copy), "PATH": str(Path(LINT_IMPORTS).parent)},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "harness.proxy.backdoor -> harness.mock.app" in result.stdout
    assert "harness.contract.backdoor -> harness.eval.suite" in result.stdout
