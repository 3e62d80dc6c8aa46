"""`harness eval --affected-by REF`: which cases a change affects, and how the rest replay.

The affected cases are the ones `harness diff REF` names for the prompt-affecting changes of
the spec and the manifest, plus the cases whose prompt changed or that have no cassette (the
cassette's recorded case fingerprint tells). They are re-recorded with the model; every other
case is replayed from its cassette with the tools of REF's spec, i.e. with exactly the
request it was recorded with, so a change to one tool's description does not make the
cassettes of cases that never touch that tool stale.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.cassettes.layout import cassette_path
from harness.contract.diff import diff_sources
from harness.contract.jsondoc import DocumentError
from harness.contract.load import SpecError, load_spec
from harness.contract.tools import operations_to_tools
from harness.errors import InputError
from harness.eval.suite import Case


class AffectedError(InputError):
    """REF or its spec cannot be read (bad ref, not a git work tree)."""


@dataclass(frozen=True)
class AffectedCases:
    """What a change since ``ref`` affects, and the tools the other cases replay with."""

    ref: str
    case_ids: frozenset[str]
    by_spec: frozenset[str]
    by_prompt: frozenset[str]
    replay_tools: list[dict[str, Any]]


def affected_cases(
    ref: str,
    cases: Iterable[Case],
    spec: Path,
    manifest: Path,
    cassettes: Path,
    model: str,
    strict: bool = False,
) -> AffectedCases:
    """The cases the change from ``ref`` to the work tree affects (see the module doc)."""
    cases = list(cases)
    old_spec, old_manifest = f"{ref}:{repo_path(spec)}", f"{ref}:{repo_path(manifest)}"
    case_operations = {case.id: case.operations for case in cases}
    try:
        changes = diff_sources(old_spec, str(spec), (old_manifest, str(manifest)), case_operations)
    except DocumentError as error:
        raise AffectedError(str(error)) from None
    by_spec = frozenset(case for change in changes for case in change.cases)
    by_prompt = frozenset(
        case.id
        for case in cases
        if _recorded_fingerprint(cassettes, model, case) != case.fingerprint
    )
    return AffectedCases(
        ref=ref,
        case_ids=by_spec | by_prompt,
        by_spec=by_spec,
        by_prompt=by_prompt - by_spec,
        replay_tools=_tools_at(ref, spec, strict),
    )


def repo_path(path: Path) -> str:
    """``path`` relative to the git work tree's root, as ``git show REF:path`` wants it."""
    top = _git("rev-parse", "--show-toplevel").strip()
    try:
        return Path(path).resolve().relative_to(Path(top).resolve()).as_posix()
    except ValueError:
        raise AffectedError(f"{path} is not inside the git work tree {top}") from None


def _git(*args: str) -> str:
    completed = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise AffectedError(f"git {' '.join(args)}: {completed.stderr.strip() or 'failed'}")
    return completed.stdout


def _tools_at(ref: str, spec: Path, strict: bool) -> list[dict[str, Any]]:
    """The function tools of ``ref``'s version of ``spec``."""
    source = f"{ref}:{repo_path(spec)}"
    with tempfile.TemporaryDirectory(prefix="harness-ref-") as scratch:
        copy = Path(scratch) / Path(spec).name
        copy.write_text(_git("show", source), encoding="utf-8")
        try:
            return operations_to_tools(load_spec(copy), strict=strict)
        except SpecError as error:
            raise AffectedError(f"{source}: {error}") from None


def _recorded_fingerprint(cassettes: Path, model: str, case: Case) -> str | None:
    """The case fingerprint a case's first cassette was recorded for (``None``: none)."""
    path = cassette_path(cassettes, model, case.id, 0)
    try:
        with path.open("rb") as file:
            document = yaml.load(file, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError):
        return None
    metadata = document.get("metadata") if isinstance(document, dict) else None
    return metadata.get("case_fingerprint") if isinstance(metadata, dict) else None


def affected_lines(summary: Any, ref: str, baseline: Path | None) -> str:
    """What `harness eval --affected-by` re-recorded, and which cases flipped vs baseline."""
    affected = summary.run.get("affected_cases") or []
    total = len(summary.results) + summary.skipped
    lines = [
        f"affected by {ref}: {len(affected)} of {total} cases re-recorded with "
        f"{summary.run['model']}, the rest replayed"
    ]
    if baseline is not None and Path(baseline).exists():
        from harness.report.compare import compare_runs
        from harness.report.load import ReportError

        try:
            comparison = compare_runs(baseline, summary.run_dir)
        except ReportError:
            return lines[0]
        for label, flips in (
            ("newly failing", comparison.newly_failing),
            ("newly passing", comparison.newly_passing),
        ):
            names = ", ".join(flip.case_id for flip in flips) or "none"
            lines.append(f"{label} vs {baseline}: {len(flips)} ({names})")
        lines.append(
            f"McNemar p = {comparison.p_value:.3g} on {comparison.paired_cases} paired cases"
        )
    return "\n".join(lines)
