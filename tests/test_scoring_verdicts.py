"""Scoring gives the recorded verdict for every generated answer to every committed case.

The fixture holds the full verdict (passed, score, reason, call verdicts), with and without
the spec, of two rounds of every answer variant in ``benchmarks.scoring_pairs`` for every case
of ``prompts/``, recorded before scoring was optimised: a speed-up must not change one of them.
After an intended change of the scoring rules, rewrite it with
``HARNESS_WRITE_VERDICTS=1 pytest tests/test_scoring_verdicts.py`` and review the diff.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from benchmarks.scoring_pairs import VARIANTS, pairs
from harness.eval.scoring import score_case
from harness.eval.suite import load_suite
from harness.spec.load import Spec

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "scoring_verdicts.jsonl.gz"


def verdict_lines(spec: Spec) -> list[str]:
    cases = load_suite(REPO / "prompts", spec).cases
    lines = []
    for case, calls in pairs(cases, spec, 2 * len(VARIANTS) * len(cases)):
        for with_spec in (spec, None):
            score = score_case(case, calls, with_spec)
            verdict = [case.id, score.passed, score.score, score.reason, score.call_verdicts]
            lines.append(json.dumps(verdict, ensure_ascii=False, separators=(",", ":")))
    return lines


def test_every_verdict_is_the_recorded_one(spec: Spec) -> None:
    lines = verdict_lines(spec)
    if os.environ.get("HARNESS_WRITE_VERDICTS"):
        with gzip.open(FIXTURE, "wt", encoding="utf-8") as fixture:
            fixture.write("\n".join(lines) + "\n")
        pytest.skip(f"wrote {FIXTURE}")
    with gzip.open(FIXTURE, "rt", encoding="utf-8") as fixture:
        recorded = fixture.read().splitlines()
    assert len(lines) == len(recorded)
    for number, (line, expected) in enumerate(zip(lines, recorded, strict=True), start=1):
        assert line == expected, f"verdict {number} changed"
