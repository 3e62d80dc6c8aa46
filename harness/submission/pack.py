"""The reviewer pack: the tools as the MCP surface serves them, and test cases from a real run.

A pack is built from a finished `harness eval` run (ideally with `--repeat`): positive cases
are the suite cases tagged ``submission`` (else ``critical``) that expect a tool call, negative
cases are those that expect none (the irrelevance cases). Each shows the prompt, the expected
call, the calls the model made in every repeat and its pass^k. The files are the harness's own
format: no vendor schema for them was verified.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.contract.load import TOOL_HINTS, Spec
from harness.contract.tools import operations_to_tools
from harness.errors import InputError
from harness.results import RESULTS_FILE, RUN_FILE, CaseResult, ResultsError, read_results

PACK_FORMAT = "podcast-harness reviewer pack, version 1"
FORMAT_NOTE = (
    "This is the harness's own format. OpenAI publishes an import schema for its app "
    "submission form (https://developers.openai.com/apps-sdk/schemas/"
    "chatgpt-app-submission.v1.json); these files were not validated against it."
)
SUBMISSION_TAG = "submission"
FALLBACK_TAG = "critical"
RUN_FIELDS = (
    "run_id",
    "model",
    "backend",
    "spec_sha256",
    "repeat",
    "temperature",
    "seed",
    "started_at",
    "finished_at",
    "harness_version",
)


class PackError(InputError):
    """A run a pack cannot be built from (missing files, no cases, another spec)."""


@dataclass(frozen=True)
class PackCase:
    """One case of the pack with what the model did in each repeat."""

    case_id: str
    kind: str
    prompt: str
    tags: list[str]
    expected: Any
    expected_operations: list[str]
    model_calls: list[dict[str, Any]]
    passes: int
    tries: int
    reasons: list[str]

    @property
    def passed_every_repeat(self) -> bool:
        """pass^k: the case passed in all of its k repeats."""
        return self.tries > 0 and self.passes == self.tries

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.case_id,
            "kind": self.kind,
            "prompt": self.prompt,
            "tags": self.tags,
            "expected": self.expected,
            "expected_operations": self.expected_operations,
            "model_calls": self.model_calls,
            "passes": self.passes,
            "tries": self.tries,
            "pass_hat_k": 1.0 if self.passed_every_repeat else 0.0,
            "reasons": self.reasons,
        }


@dataclass(frozen=True)
class Pack:
    """Everything `harness submission` writes."""

    run: dict[str, Any]
    tools: list[dict[str, Any]]
    positive_tag: str
    positive: list[PackCase]
    negative: list[PackCase]
    notes: list[str] = field(default_factory=list)

    @property
    def cases(self) -> list[PackCase]:
        """Positive cases, then negative ones."""
        return [*self.positive, *self.negative]

    @property
    def failing(self) -> list[PackCase]:
        """Chosen cases that did not pass in every repeat (a reviewer will try them)."""
        return [case for case in self.cases if not case.passed_every_repeat]


def tool_entries(spec: Spec) -> list[dict[str, Any]]:
    """Every tool as the MCP surface serves it: name, title, description, input schema (the
    function tools' converter), output schema (the 200 response), annotations with their
    justifications."""
    entries = []
    for tool in operations_to_tools(spec):
        function = tool["function"]
        operation = spec.operations[function["name"]]
        metadata = operation.tool
        annotations: dict[str, Any] = {"title": metadata.title} if metadata.title else {}
        annotations.update({h: metadata.annotations[h].value for h in TOOL_HINTS})
        entries.append(
            {
                "name": function["name"],
                "title": metadata.title,
                "description": function["description"],
                "inputSchema": function["parameters"],
                "outputSchema": operation.response_schema,
                "annotations": annotations,
                "justifications": {h: metadata.annotations[h].justification for h in TOOL_HINTS},
                "defaulted_hints": [h for h in TOOL_HINTS if not metadata.annotations[h].explicit],
                "method": operation.method,
                "path": spec.server_path + operation.path,
            }
        )
    return entries


def _read_run(run_dir: Path) -> tuple[dict[str, Any], list[CaseResult]]:
    run_file = run_dir / RUN_FILE
    try:
        run = json.loads(run_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackError(f"{run_file}: no such file (not a run directory)") from None
    except json.JSONDecodeError as error:
        raise PackError(f"{run_file}: invalid JSON ({error})") from None
    try:
        results = read_results(run_dir / RESULTS_FILE, missing_ok=True)
    except ResultsError as error:
        raise PackError(str(error)) from None
    if not results:
        raise PackError(f"{run_dir / RESULTS_FILE}: no results (the run measured nothing)")
    return run, results


def _distinct_calls(records: list[CaseResult]) -> list[dict[str, Any]]:
    """The calls the model made, one entry per distinct set, with the repeats that made it."""
    seen: dict[str, dict[str, Any]] = {}
    for record in sorted(records, key=lambda r: r.repeat):
        calls = [
            {"name": call.name, "arguments": call.arguments}
            | ({"error": call.error} if call.error else {})
            for call in record.actual_calls
        ]
        key = json.dumps(calls, sort_keys=True, ensure_ascii=False)
        entry = seen.setdefault(key, {"calls": calls, "repeats": [], "statuses": []})
        entry["repeats"].append(record.repeat)
        entry["statuses"].append(record.status.value)
    return list(seen.values())


def _case(kind: str, records: list[CaseResult]) -> PackCase:
    first = records[0]
    return PackCase(
        case_id=first.case_id,
        kind=kind,
        prompt=first.prompt or "",
        tags=first.tags,
        expected=first.expected,
        expected_operations=first.expected_operations,
        model_calls=_distinct_calls(records),
        passes=sum(1 for record in records if record.passed),
        tries=len(records),
        reasons=sorted({r.reason for r in records if not r.passed and r.reason}),
    )


def build_pack(
    run_dir: Path | str, spec: Spec, positive_cases: int = 5, negative_cases: int = 3
) -> Pack:
    """The pack for the run in ``run_dir``; ``spec`` must be the one the run used.

    Raises :class:`PackError` when the run is unreadable, was made with another spec, or has
    no positive case to show.
    """
    run_dir = Path(run_dir)
    run, results = _read_run(run_dir)
    spec_sha = spec.sha256
    if run.get("spec_sha256") != spec_sha:
        raise PackError(
            f"{run_dir / RUN_FILE}: the run used spec sha256 {run.get('spec_sha256')}, but "
            f"{spec.path} is now {spec_sha}: run the eval again on this spec"
        )
    by_case: dict[str, list[CaseResult]] = defaultdict(list)
    for record in results:
        by_case[record.case_id].append(record)
    ordered = sorted(by_case)
    tagged = [c for c in ordered if SUBMISSION_TAG in by_case[c][0].tags]
    positive_tag = SUBMISSION_TAG if tagged else FALLBACK_TAG
    candidates = [
        c
        for c in ordered
        if positive_tag in by_case[c][0].tags and by_case[c][0].expected_operations
    ]
    negatives = [c for c in ordered if not by_case[c][0].expected_operations]
    if not candidates:
        raise PackError(
            f"{run_dir}: no case tagged {SUBMISSION_TAG!r} or {FALLBACK_TAG!r} that expects a "
            "tool call: tag the cases to show reviewers"
        )
    notes = []
    for kind, found, wanted in (
        ("positive", candidates, positive_cases),
        ("negative", negatives, negative_cases),
    ):
        if len(found) < wanted:
            notes.append(f"only {len(found)} {kind} case(s) in the run; {wanted} requested")
        elif len(found) > wanted:
            notes.append(f"{len(found) - wanted} more {kind} case(s) not included")
    return Pack(
        run={key: run.get(key) for key in RUN_FIELDS},
        tools=tool_entries(spec),
        positive_tag=positive_tag,
        positive=[_case("positive", by_case[c]) for c in candidates[:positive_cases]],
        negative=[_case("negative", by_case[c]) for c in negatives[:negative_cases]],
        notes=notes,
    )
