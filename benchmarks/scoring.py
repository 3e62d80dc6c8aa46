"""Scoring throughput: ``score_case`` over generated (case, calls) pairs, and BFCL's checker.

The pairs come from :mod:`benchmarks.scoring_pairs` (every committed case, answers right and
wrong in several ways). The harness is timed with the spec (type-aware, and every argument
checked against the proxy's own validation) and without it. When ``bfcl-eval`` is installed
(``pip install --no-deps bfcl-eval``: only its checker is used), BFCL's AST checker is timed on
the pairs it can express (one alternative, literal values only) and the harness on the same
pairs; the share of pairs where both give the same pass/fail is reported. Each rate is the best
of a few rounds, measured side by side in one process; scoring keeps what it compiles and
judges between rounds, so the first pass over a freshly loaded suite is reported too
(``harness_first_pass_pairs_per_s``). The whole comparison runs in several fresh interpreters
and the median one is reported, with every one's ratio: with the same code, the ratio of one
process ranged from 85% to 107% on this machine (string hashes and memory layout change from
one process to the next; more rounds in one process do not average that out).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import subprocess
import sys
import time
import types
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.scoring_pairs import pairs
from benchmarks.servers import REPO_ROOT
from harness.contract.load import Spec, load_spec
from harness.eval import acceptance
from harness.eval.matchers import Equals
from harness.eval.scoring import score_case
from harness.eval.suite import Case, load_suite
from harness.results import ToolCall

BFCL_TYPES = {"string": "string", "integer": "integer", "number": "float", "boolean": "boolean"}
BFCL_MODEL = "bench-model"


def measure(count: int, rounds: int, processes: int) -> dict[str, Any]:
    """:func:`measure_in_process` in ``processes`` fresh interpreters: the median one (by the
    harness/BFCL ratio, else by the harness's rate), with every process's rates."""
    runs = [_in_fresh_process(count, rounds) for _ in range(processes)]
    return {**median_run(runs), "processes": [_rates(run) for run in runs]}


def median_run(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The run in the middle when ordered by harness/BFCL ratio (by the harness's rate when
    BFCL is not installed); the upper one of an even number."""
    return sorted(runs, key=_ordering)[len(runs) // 2]


def _ordering(run: dict[str, Any]) -> float:
    bfcl = run["bfcl"]
    return bfcl["harness_pairs_per_s"] / bfcl["pairs_per_s"] if bfcl else run["harness_pairs_per_s"]


def _rates(run: dict[str, Any]) -> dict[str, Any]:
    bfcl = run["bfcl"]
    return {
        "harness_pairs_per_s": run["harness_pairs_per_s"],
        "bfcl_pairs_per_s": bfcl["pairs_per_s"] if bfcl else None,
        "harness_on_bfcl_pairs_per_s": bfcl["harness_pairs_per_s"] if bfcl else None,
    }


def _in_fresh_process(count: int, rounds: int) -> dict[str, Any]:
    code = (
        "import json; from benchmarks.scoring import measure_in_process; "
        f"print(json.dumps(measure_in_process({count}, {rounds})))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the scoring benchmark failed:\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.splitlines()[-1])


def measure_in_process(count: int, rounds: int) -> dict[str, Any]:
    """Pairs per second of the harness (with and without the spec) and of BFCL's checker."""
    spec = load_spec(REPO_ROOT / "specs" / "openapi.json")
    cases = load_suite(REPO_ROOT / "prompts", spec).cases
    generated = pairs(cases, spec, count)
    result: dict[str, Any] = {
        "pairs": len(generated),
        "harness_pairs_per_s": _rate(lambda: _score_all(generated, spec), len(generated), rounds),
        "harness_no_spec_pairs_per_s": _rate(
            lambda: _score_all(generated, None), len(generated), rounds
        ),
        "harness_first_pass_pairs_per_s": _first_pass_rate(spec, count),
        "bfcl": None,
    }
    checker = _bfcl_checker()
    if checker is None:
        return result
    comparable = [(case, calls) for case, calls in generated if _expressible(case)]
    bfcl_inputs = [_bfcl_input(case, calls, spec) for case, calls in comparable]
    bfcl_verdicts = [checker(*bfcl_input)["valid"] for bfcl_input in bfcl_inputs]
    ours = [score.passed for score in _score_all(comparable, spec)]
    agree = sum(a == b for a, b in zip(ours, bfcl_verdicts, strict=True))
    result["bfcl"] = {
        "version": importlib.metadata.version("bfcl-eval"),
        "pairs": len(comparable),
        "pairs_per_s": _rate(
            lambda: [checker(*bfcl_input) for bfcl_input in bfcl_inputs], len(comparable), rounds
        ),
        "harness_pairs_per_s": _rate(lambda: _score_all(comparable, spec), len(comparable), rounds),
        "agreement_pct": round(100 * agree / len(comparable), 1) if comparable else None,
    }
    return result


def _score_all(generated: Sequence[tuple[Case, list[ToolCall]]], spec: Spec | None) -> list:
    return [score_case(case, calls, spec) for case, calls in generated]


def _first_pass_rate(spec: Spec, count: int) -> float:
    """Pairs per second of one pass over a freshly loaded suite, with no refusal cached:
    every expected call compiled and every distinct value judged for the first time."""
    generated = pairs(load_suite(REPO_ROOT / "prompts", spec).cases, spec, count)
    acceptance._text_refusal.cache_clear()
    return _rate(lambda: _score_all(generated, spec), len(generated), 1)


def _rate(run: Callable[[], object], count: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return int(count / best)


def _bfcl_checker() -> Callable[..., dict[str, Any]] | None:
    """BFCL's ``ast_checker`` (Python, non-live categories), or None when not installed.

    Its module imports the leaderboard's model table (every vendor SDK) only to rename dotted
    function names; our names have no dot, so an empty table stands in for it.
    """
    try:
        importlib.import_module("bfcl_eval.constants.enums")
    except ImportError:
        return None
    table = types.ModuleType("bfcl_eval.constants.model_config")
    table.MODEL_CONFIG_MAPPING = {}
    sys.modules.setdefault("bfcl_eval.constants.model_config", table)
    checker = importlib.import_module("bfcl_eval.eval_checker.ast_eval.ast_checker")
    python = importlib.import_module("bfcl_eval.constants.enums").Language.PYTHON

    def check(descriptions: list, output: list, answer: list, category: str) -> dict[str, Any]:
        return checker.ast_checker(descriptions, output, answer, python, category, BFCL_MODEL)

    return check


def _expressible(case: Case) -> bool:
    """One alternative whose every acceptable value is a literal (what BFCL can state)."""
    if len(case.alternatives) != 1:
        return False
    return all(
        matchers and all(isinstance(m, Equals) for m in matchers)
        for call in case.alternatives[0].calls
        for matchers in call.arguments.values()
    )


def _bfcl_input(case: Case, calls: list[ToolCall], spec: Spec) -> tuple[list, list, list, str]:
    expected = case.alternatives[0].calls
    answer = [
        {
            call.operation: {
                name: [m.value for m in matchers] + ([""] if name in call.optional else [])
                for name, matchers in call.arguments.items()
            }
        }
        for call in expected
    ]
    # The expected functions first: BFCL's simple checker reads the first description.
    names = dict.fromkeys([*(call.operation for call in expected), *(call.name for call in calls)])
    descriptions = [_description(spec, name) for name in names if name in spec.operations]
    output = [{call.name: dict(call.arguments or {})} for call in calls]
    category = "simple" if len(expected) == 1 else "parallel"
    return descriptions, output, answer, category


def _description(spec: Spec, name: str) -> dict[str, Any]:
    operation = spec.operations[name]
    return {
        "name": name,
        "parameters": {
            "type": "dict",
            "properties": {
                p.name: {"type": BFCL_TYPES.get(p.schema.get("type"), "string")}
                for p in operation.parameters
            },
            "required": [p.name for p in operation.parameters if p.required],
        },
    }
