"""The assignment scoring uses for ties and large grids chooses what scipy's
``linear_sum_assignment`` chooses, ties included, without importing scipy.optimize."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap

import pytest
from scipy.optimize import linear_sum_assignment

from harness.eval.assignment import max_weight_assignment

F1S = [0.0, 0.2857142857142857, 1 / 3, 0.4, 0.5, 2 / 3, 0.8, 1.0]


def scipy_pairs(weights: list[list[float]]) -> list[tuple[int, int]]:
    rows, cols = linear_sum_assignment(weights, maximize=True)
    return sorted(zip(rows.tolist(), cols.tolist(), strict=True))


def random_grid(rng: random.Random) -> list[list[float]]:
    """Grids of every shape up to 7 x 7, most of them full of equal weights."""
    rows, cols = rng.randint(1, 7), rng.randint(1, 7)
    step = max(rows, cols) + 1
    kind = rng.randrange(3)
    if kind == 0:  # few distinct values: ties everywhere
        return [[rng.choice([0.0, 1.0, 2.0]) for _ in range(cols)] for _ in range(rows)]
    if kind == 1:  # scoring's weights: passed, operation matched, F1
        return [
            [
                0.0
                if rng.random() < 0.4
                else step * step * (rng.random() < 0.5) + step + rng.choice(F1S)
                for _ in range(cols)
            ]
            for _ in range(rows)
        ]
    return [[rng.uniform(-5, 5) for _ in range(cols)] for _ in range(rows)]


def test_it_chooses_what_scipy_chooses_on_random_grids() -> None:
    rng = random.Random(3)
    for _ in range(5000):
        weights = random_grid(rng)
        assert max_weight_assignment(weights) == scipy_pairs(weights), weights


@pytest.mark.parametrize(
    ("weights", "pairs"),
    [
        ([[5.0]], [(0, 0)]),
        ([[1.0, 1.0], [1.0, 1.0]], [(0, 0), (1, 1)]),  # a constant grid: the identity
        ([[1.0, 9.0], [9.0, 1.0]], [(0, 1), (1, 0)]),
        ([[1.0], [3.0], [2.0]], [(1, 0)]),  # more rows than columns
        ([[0.0, 0.0, 7.0]], [(0, 2)]),
        ([], []),
    ],
)
def test_small_cases(weights: list[list[float]], pairs: list[tuple[int, int]]) -> None:
    assert max_weight_assignment(weights) == pairs
    if weights:
        assert scipy_pairs(weights) == pairs


def test_scoring_a_tie_imports_no_scipy() -> None:
    """Two identical calls answering two identical expected calls: a tie, paired without
    scipy.optimize."""
    code = textwrap.dedent(
        """
        import json, sys
        from harness.eval.scoring import score_case
        from harness.eval.suite import Alternative, Case, ExpectedCall
        from harness.eval.matchers import Equals
        from harness.results import ToolCall
        expected = ExpectedCall("getGenres", {"top_level_only": (Equals(1),)}, frozenset(), 1, {})
        case = Case("c", [{"role": "user", "content": "p"}], (), None,
                    (Alternative((expected, expected)),), "s.yaml", 1)
        calls = [ToolCall("getGenres", {"top_level_only": 1})] * 3
        score = score_case(case, calls)
        print(json.dumps([score.passed, score.score, "scipy.optimize" in sys.modules]))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(result.stdout) == [False, 0.666667, False]
