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
import re
import unicodedata
from dataclasses import asdict
from pathlib import Path

import httpx
import pytest

from benchmarks.scoring_pairs import VARIANTS, pairs
from harness.contract.load import Spec
from harness.eval.acceptance import wire_texts
from harness.eval.matchers import PHRASE_QUOTES, _dropped, normalize_text
from harness.eval.scoring import score_case
from harness.eval.suite import load_suite
from harness.results import ReasonCode

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "scoring_verdicts.jsonl.gz"
CODES_FIXTURE = REPO / "tests" / "fixtures" / "scoring_reason_codes.jsonl.gz"
# The text every reason with a code starts with (scoring's wording; docs/prompt-suite.md).
REASON_TEXTS = {
    ReasonCode.NO_CALL_EXPECTED: r"expected no call, got \w+",
    ReasonCode.MISSING_CALL: r"missing call \w+$",
    ReasonCode.UNEXPECTED_CALL: r"unexpected call \w+$",
    ReasonCode.WRONG_OPERATION: r"expected call \w+, got \w+$",
    ReasonCode.WRONG_ORDER: r"calls out of order: expected \w+ before \w+$",
    ReasonCode.MISSING_REQUIRED: r"\w+\.\w+: missing required argument$",
    ReasonCode.WRONG_VALUE: r"\w+\.\w+: expected .+, got ",
    ReasonCode.REFUSED_VALUE: r"\w+\.\w+: the proxy refuses ",
    ReasonCode.UNEXPECTED_ARGUMENT: r"\w+\.\w+: unexpected argument \(got ",
}


def verdict_lines(spec: Spec) -> list[str]:
    cases = load_suite(REPO / "prompts", spec).cases
    lines = []
    for case, calls in pairs(cases, spec, 2 * len(VARIANTS) * len(cases)):
        for with_spec in (spec, None):
            score = score_case(case, calls, with_spec)
            verdict = [
                case.id,
                score.passed,
                score.score,
                score.reason,
                [asdict(v) for v in score.call_verdicts],
            ]
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


def code_lines(spec: Spec) -> list[str]:
    """[case id, passed, reason code] of every verdict of :func:`verdict_lines`, in order."""
    cases = load_suite(REPO / "prompts", spec).cases
    lines = []
    for case, calls in pairs(cases, spec, 2 * len(VARIANTS) * len(cases)):
        for with_spec in (spec, None):
            score = score_case(case, calls, with_spec)
            lines.append(json.dumps([case.id, score.passed, score.code], separators=(",", ":")))
    return lines


def test_every_reason_code_is_the_recorded_one(spec: Spec) -> None:
    lines = code_lines(spec)
    if os.environ.get("HARNESS_WRITE_VERDICTS"):
        with gzip.open(CODES_FIXTURE, "wt", encoding="utf-8") as fixture:
            fixture.write("\n".join(lines) + "\n")
        pytest.skip(f"wrote {CODES_FIXTURE}")
    with gzip.open(CODES_FIXTURE, "rt", encoding="utf-8") as fixture:
        recorded = fixture.read().splitlines()
    assert len(lines) == len(recorded) == len(verdict_lines(spec))
    for number, (line, expected) in enumerate(zip(lines, recorded, strict=True), start=1):
        assert line == expected, f"reason code {number} changed"


def test_every_code_names_its_reason(spec: Spec) -> None:
    """A verdict has a code iff it failed, and the code is the one its reason's text says."""
    cases = load_suite(REPO / "prompts", spec).cases
    seen = set()
    for case, calls in pairs(cases, spec, 2 * len(VARIANTS) * len(cases)):
        for with_spec in (spec, None):
            score = score_case(case, calls, with_spec)
            assert (score.code is None) == score.passed == (score.reason is None), case.id
            if score.code is not None:
                assert re.match(REASON_TEXTS[score.code], score.reason), (score.code, score.reason)
                seen.add(score.code)
    # No variant reorders calls or leaves out an argument the case requires without also
    # getting another wrong first (tests/test_scoring.py covers those two codes).
    assert seen == set(REASON_TEXTS) - {ReasonCode.WRONG_ORDER, ReasonCode.MISSING_REQUIRED}


def general_normalize(text: str) -> str:
    """normalize_text's general (non-ASCII) path, applied to any text."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(PHRASE_QUOTES)
    return "".join(ch for ch in folded if not _dropped(ch))


def test_the_ascii_shortcut_of_normalize_text_is_the_general_rule() -> None:
    every_ascii = "".join(map(chr, range(128)))
    samples = [every_ascii, *every_ascii, "Startup Tips!", ' "Game of Thrones" ', "a-b_c.d,e"]
    for text in samples:
        assert normalize_text(text) == general_normalize(text), repr(text)


@pytest.mark.parametrize("value", ["", "a b", "ü&x=1", 0, -3, 2.5, 3.0, 1e20, True, False, None])
def test_wire_texts_of_a_scalar_is_what_httpx_sends(value: object) -> None:
    sent = [text for _, text in httpx.QueryParams({"q": value}).multi_items()]
    assert wire_texts("query", "q", value) == sent
