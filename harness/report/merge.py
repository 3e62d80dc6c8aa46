"""Merge the run directories of `harness eval --shard I/N` into one run directory.

The merged directory is an ordinary run (``run.json`` + ``results.jsonl``, plus the shards'
request logs when they ran with ``--execute``), so every report, the gate, `harness compare`
and `harness submission` read it as they read any run. Shards are merged only when they
belong together: the same model, spec, suite and run settings, each shard 1..N exactly once,
no (case, repeat) twice, and every shard finished. Anything else is a ReportError naming the
directory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from harness.report.load import ReportError, load_run_metadata, read_records
from harness.results import RESULTS_FILE, RUN_FILE, CaseResult, write_results

REQUEST_LOG_FILE = "requests.jsonl"
# run.json settings every shard of one run shares (the shard's suite digest is checked too).
SHARED_SETTINGS = (
    "model",
    "backend",
    "base_url",
    "suite",
    "spec_sha256",
    "repeat",
    "temperature",
    "seed",
    "tool_choice",
    "strict",
    "execute",
    "max_turns",
    "harness_version",
    "llama_cpp_version",
)


def merge_shards(shard_dirs: Sequence[Path], out: Path) -> Path:
    """Check that ``shard_dirs`` are the N shards of one run and write them merged to a new
    directory under ``out``; return it. Each result keeps the run id of its shard."""
    shards = [_Shard.read(Path(directory)) for directory in shard_dirs]
    _check_together(shards)
    shards.sort(key=lambda shard: shard.index)
    first = shards[0]
    finished = [shard.run.get("finished_at") for shard in shards]
    run_id = f"{first.run.get('run_id', 'run')}-merged"
    target = _new_dir(out, run_id)
    run = {
        "run_id": target.name,
        "started_at": min(
            (s.run["started_at"] for s in shards if s.run.get("started_at")), default=None
        ),
        "finished_at": None if None in finished else max(finished),
        **{key: first.run[key] for key in SHARED_SETTINGS if key in first.run},
        "record_mode": first.run.get("record_mode"),
        "shards": [
            {
                "index": s.index,
                "count": s.count,
                "run_id": s.run.get("run_id"),
                "run_dir": str(s.path),
            }
            for s in shards
        ],
    }
    (target / RUN_FILE).write_bytes(orjson.dumps(run, option=orjson.OPT_INDENT_2) + b"\n")
    write_results(target / RESULTS_FILE, (result for s in shards for result in s.records))
    logs = [s.path / REQUEST_LOG_FILE for s in shards if (s.path / REQUEST_LOG_FILE).exists()]
    if logs:
        with (target / REQUEST_LOG_FILE).open("wb") as merged_log:
            for log in logs:
                text = log.read_bytes()
                merged_log.write(text if text.endswith(b"\n") or not text else text + b"\n")
    return target


@dataclass(frozen=True)
class _Shard:
    """One shard directory: its run.json, its shard entry and its results."""

    path: Path
    run: dict[str, Any]
    records: list[CaseResult]
    index: int
    count: int
    cases: int
    suite_sha256: str

    @classmethod
    def read(cls, path: Path) -> _Shard:
        if not (path / RUN_FILE).is_file():
            raise ReportError(f"{path}: not a run directory (no {RUN_FILE})")
        run = load_run_metadata(path)
        entry = run.get("shard")
        if not isinstance(entry, dict):
            raise ReportError(f"{path}: not a shard run (made without harness eval --shard I/N)")
        for key in ("index", "count", "cases", "suite_sha256"):
            if key not in entry:
                raise ReportError(f"{path}/{RUN_FILE}: shard entry has no {key!r}")
        return cls(
            path=path,
            run=run,
            records=read_records(path / RESULTS_FILE),
            index=entry["index"],
            count=entry["count"],
            cases=entry["cases"],
            suite_sha256=entry["suite_sha256"],
        )


def _check_together(shards: list[_Shard]) -> None:
    first = shards[0]
    for shard in shards[1:]:
        for key in SHARED_SETTINGS:
            if shard.run.get(key) != first.run.get(key):
                raise ReportError(
                    f"{shard.path}: {key} {shard.run.get(key)!r} differs from "
                    f"{first.run.get(key)!r} in {first.path}: not shards of one run"
                )
        if shard.count != first.count:
            raise ReportError(
                f"{shard.path}: shard {shard.index}/{shard.count} is from a split into "
                f"{shard.count}, {first.path} from a split into {first.count}"
            )
        if shard.suite_sha256 != first.suite_sha256:
            raise ReportError(
                f"{shard.path}: its suite's cases differ from those of {first.path} "
                "(suite edited between the shards, or other --tag/--case filters)"
            )
    by_index: dict[int, _Shard] = {}
    for shard in shards:
        if shard.index in by_index:
            raise ReportError(
                f"{shard.path}: shard {shard.index}/{shard.count} "
                f"is also {by_index[shard.index].path}"
            )
        by_index[shard.index] = shard
    missing = [str(index) for index in range(1, first.count + 1) if index not in by_index]
    if missing:
        raise ReportError(
            f"missing shard {', '.join(missing)} of {first.count} "
            f"(given: {', '.join(str(s.path) for s in shards)})"
        )
    seen: dict[tuple[str, int], Path] = {}
    for shard in shards:
        keys = {(r.case_id, r.repeat) for r in shard.records}
        expected = shard.cases * int(shard.run.get("repeat") or 1)
        if len(keys) < expected:
            raise ReportError(
                f"{shard.path}: {len(keys)} of {expected} case runs finished "
                f"(continue it with harness eval --resume {shard.path})"
            )
        for key in keys:
            if key in seen:
                raise ReportError(
                    f"{shard.path}: case {key[0]} (repeat {key[1]}) is also in {seen[key]}"
                )
            seen[key] = shard.path


def _new_dir(out: Path, name: str) -> Path:
    candidate, number = out / name, 1
    while candidate.exists():
        number += 1
        candidate = out / f"{name}-{number}"
    candidate.mkdir(parents=True)
    return candidate
