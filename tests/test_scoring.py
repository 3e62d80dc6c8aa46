"""Case scoring: argument verdicts, F1, optimal pairing, order, alternatives, irrelevance."""

from __future__ import annotations

import random
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from harness.contract.load import Spec
from harness.eval.scoring import (
    _best_call,
    _best_pairs,
    _case_plans,
    _forced_pairs,
    _unique_best_pairs,
    _unmatched_actual,
    _weights,
    score_case,
)
from harness.eval.suite import Case, load_suite
from harness.results import ReasonCode, ToolCall


@pytest.fixture
def make_case(tmp_path: Path):
    """Build one case from the YAML text of its ``expect:`` value."""

    def make(expect_yaml: str) -> Case:
        body = "\n".join("      " + line for line in expect_yaml.strip().splitlines())
        path = tmp_path / "case.yaml"
        path.write_text(f"cases:\n  - id: c\n    prompt: p\n    expect:\n{body}\n")
        return load_suite(path).cases[0]

    return make


SEARCH = """
- operation: searchPodcasts
  arguments:
    q: [{contains: startup}]
    language: [English, ""]
"""


def call(name: str, error: str | None = None, **arguments) -> ToolCall:
    return ToolCall(name, arguments, error=error)


def test_exact_answer_passes(make_case) -> None:
    score = score_case(
        make_case(SEARCH), [call("searchPodcasts", q="startups", language="english")]
    )
    assert (score.passed, score.score, score.reason) == (True, 1.0, None)
    assert [asdict(v) for v in score.call_verdicts] == [
        {
            "expected": "searchPodcasts",
            "actual": "searchPodcasts",
            "operation_match": True,
            "arguments": {"q": "correct", "language": "correct"},
            "passed": True,
            "score": 1.0,
        }
    ]


def test_optional_argument_may_be_omitted(make_case) -> None:
    score = score_case(make_case(SEARCH), [call("searchPodcasts", q="startup")])
    assert score.passed and score.score == 1.0
    assert score.call_verdicts[0].arguments["language"] == "missing_expected_optional"


def test_null_arguments_count_as_omitted(make_case) -> None:
    score = score_case(make_case(SEARCH), [call("searchPodcasts", q="startup", language=None)])
    assert score.passed


def test_wrong_value_reason_and_partial_score(make_case) -> None:
    score = score_case(make_case(SEARCH), [call("searchPodcasts", q="startup", language="french")])
    assert not score.passed
    assert score.reason == "searchPodcasts.language: expected 'English', got 'french'"
    assert score.score == pytest.approx(0.5)
    assert score.call_verdicts[0].arguments["language"] == "wrong_value"


def test_missing_required_argument(make_case) -> None:
    score = score_case(make_case(SEARCH), [call("searchPodcasts", language="English")])
    assert score.reason == "searchPodcasts.q: missing required argument"
    assert score.code == ReasonCode.MISSING_REQUIRED
    # precision 1/1, recall 1/2
    assert score.score == pytest.approx(2 / 3)


def test_unexpected_argument(make_case) -> None:
    score = score_case(make_case(SEARCH), [call("searchPodcasts", q="startup", page_size=5)])
    assert not score.passed
    assert score.reason == "searchPodcasts.page_size: unexpected argument (got 5)"
    assert score.call_verdicts[0].arguments["page_size"] == "unexpected"
    assert score.score == pytest.approx(2 / 3)


def test_spec_default_is_not_unexpected(make_case, spec: Spec) -> None:
    case = make_case(SEARCH)
    restated = [call("searchPodcasts", q="startup", page_size=10, sort_by_date=0)]
    assert score_case(case, restated, spec).passed
    assert not score_case(case, restated).passed  # without the spec there is no default


def test_spec_types_coerce_numeric_strings_and_values_must_pass_the_proxy(
    make_case, spec: Spec
) -> None:
    case = make_case(
        """
- operation: getPodcast
  arguments:
    id: {exact: abc}
    sort: oldest_first
"""
    )
    assert score_case(case, [call("getPodcast", id="abc", sort="oldest_first")], spec).passed
    # the proxy's enum check is case-sensitive: it answers 400 for this, so it is wrong
    assert not score_case(case, [call("getPodcast", id="abc", sort="Oldest_First")], spec).passed
    assert not score_case(case, [call("getPodcast", id="abc", sort="oldest first")], spec).passed
    pages = make_case("- operation: getCuratedPodcasts\n  arguments: {page: 3}")
    assert score_case(pages, [call("getCuratedPodcasts", page="3")], spec).passed
    assert not score_case(pages, [call("getCuratedPodcasts", page=3.5)], spec).passed


def test_operation_mismatch(make_case) -> None:
    score = score_case(make_case(SEARCH), [call("searchEpisodes", q="startup")])
    assert not score.passed and score.score == 0.0
    assert score.reason == "expected call searchPodcasts, got searchEpisodes"
    assert score.code == "wrong_operation"
    assert score.call_verdicts[0].operation_match is False


def test_call_with_error_fails_with_that_reason(make_case) -> None:
    broken = ToolCall("searchPodcasts", None, "{q: startup", error="invalid JSON arguments")
    score = score_case(make_case(SEARCH), [broken])
    assert not score.passed
    assert score.reason == "searchPodcasts: invalid JSON arguments"
    assert score.code == ReasonCode.INVALID_CALL  # an error without a code of its own
    assert score.score == 0.0
    coded = replace(broken, error_code=ReasonCode.INVALID_JSON)
    assert score_case(make_case(SEARCH), [coded]).code == ReasonCode.INVALID_JSON
    unknown = ToolCall("findPodcasts", {"q": "x"}, error="unknown tool")
    assert score_case(make_case(SEARCH), [unknown]).reason.startswith("expected call")


def test_no_call_when_one_expected(make_case) -> None:
    score = score_case(make_case(SEARCH), [])
    assert (score.passed, score.score) == (False, 0.0)
    assert score.reason == "missing call searchPodcasts"
    assert score.call_verdicts[0].actual is None


def test_extra_call_fails_and_halves_the_score(make_case) -> None:
    calls = [call("searchPodcasts", q="startup"), call("getGenres")]
    score = score_case(make_case(SEARCH), calls)
    assert score.reason == "unexpected call getGenres"
    assert score.score == pytest.approx(0.5)
    assert asdict(score.call_verdicts[-1]) == {
        "expected": None,
        "actual": "getGenres",
        "operation_match": False,
        "arguments": {},
        "passed": False,
        "score": 0.0,
    }


def test_irrelevance(make_case) -> None:
    case = make_case("none")
    assert score_case(case, []).passed
    score = score_case(case, [call("getGenres"), call("justListen")])
    assert (score.passed, score.score) == (False, 0.0)
    assert score.reason == "expected no call, got getGenres, justListen"


def test_no_arguments_expected_and_none_given(make_case) -> None:
    score = score_case(make_case("- operation: justListen"), [call("justListen")])
    assert (score.passed, score.score) == (True, 1.0)


def test_optimal_assignment_beats_greedy(make_case) -> None:
    # Greedy pairing would give the first expected call the first actual call (both fit it),
    # leaving the second expected call, which needs a language, with the call that has none.
    case = make_case(
        """
- operation: searchPodcasts
  arguments: {q: chess, language: [English, ""]}
- operation: searchPodcasts
  arguments: {q: chess, language: English}
"""
    )
    calls = [
        call("searchPodcasts", q="chess", language="English"),
        call("searchPodcasts", q="chess"),
    ]
    score = score_case(case, calls)
    assert (score.passed, score.score) == (True, 1.0)


def test_missing_second_call(make_case) -> None:
    case = make_case("- operation: getLanguages\n- operation: getRegions")
    score = score_case(case, [call("getRegions")])
    assert score.reason == "missing call getLanguages"
    assert score.score == pytest.approx(0.5)


STRICT = """
calls:
  - operation: getGenres
  - operation: getBestPodcasts
    arguments: {genre_id: 133}
order: {order}
"""


def test_strict_order(make_case) -> None:
    backwards = [call("getBestPodcasts", genre_id=133), call("getGenres")]
    strict = score_case(make_case(STRICT.replace("{order}", "strict")), backwards)
    assert not strict.passed
    assert strict.reason == "calls out of order: expected getGenres before getBestPodcasts"
    assert strict.code == ReasonCode.WRONG_ORDER
    assert strict.score == 1.0  # every argument is right; only the order is wrong
    assert score_case(make_case(STRICT.replace("{order}", "any")), backwards).passed
    in_order = [call("getGenres"), call("getBestPodcasts", genre_id=133)]
    assert score_case(make_case(STRICT.replace("{order}", "strict")), in_order).passed


ALTERNATIVES = """
any_of:
  - - operation: getBestPodcasts
      arguments: {genre_id: 127}
  - calls:
      - operation: getGenres
      - operation: getBestPodcasts
        arguments: {genre_id: 127}
    order: strict
"""


def test_alternatives_keep_the_best(make_case) -> None:
    case = make_case(ALTERNATIVES)
    assert score_case(case, [call("getBestPodcasts", genre_id=127)]).passed
    assert score_case(case, [call("getGenres"), call("getBestPodcasts", genre_id=127)]).passed
    wrong = score_case(case, [call("getGenres"), call("getBestPodcasts", genre_id=93)])
    assert not wrong.passed
    assert wrong.reason == "getBestPodcasts.genre_id: expected 127, got 93"
    assert len(wrong.call_verdicts) == 2  # the second alternative fitted best


def test_argument_that_must_be_omitted(make_case) -> None:
    case = make_case('- operation: getGenres\n  arguments: {top_level_only: [""]}')
    assert score_case(case, [call("getGenres")]).passed
    score = score_case(case, [call("getGenres", top_level_only=1)])
    assert score.reason == "getGenres.top_level_only: expected no value (omit it), got 1"


def test_wrong_id_is_reported_on_the_right_operation(make_case) -> None:
    case = make_case("- operation: getPodcast\n  arguments: {id: {exact: abc}}")
    score = score_case(case, [call("getGenres"), call("getPodcast", id="xyz")])
    assert score.reason == "getPodcast.id: expected exactly 'abc', got 'xyz'"
    assert score.call_verdicts[0].actual == "getPodcast"


def test_equal_values_of_different_types_are_judged_apart(make_case, spec: Spec) -> None:
    """Each distinct value is judged once per argument: 1, True and "1" are not one value."""
    case = make_case("- operation: getBestPodcasts\n  arguments: {page: 2}")
    # (value, passes with the spec, passes without): the proxy refuses 2.0 for an integer
    sent = [(2, True, True), (True, False, False), ("2", True, True), (2.0, False, True)]
    for page, with_spec, without in sent + sent[::-1]:
        assert score_case(case, [call("getBestPodcasts", page=page)], spec).passed is with_spec
        assert score_case(case, [call("getBestPodcasts", page=page)]).passed is without


def test_a_restated_default_is_judged_with_the_proxy_rule(make_case, spec: Spec) -> None:
    case = make_case("- operation: getBestPodcasts\n  arguments: {page: 2}")
    for region, passes in [("us", True), ("US", False), ("us", True), (" us", False)]:
        score = score_case(case, [call("getBestPodcasts", page=2, region=region)], spec)
        assert score.passed is passes, region


def test_small_grids_are_paired_as_scipy_pairs_them() -> None:
    """Enumeration gives scipy's assignment whenever the best one is unique, else defers."""
    from scipy.optimize import linear_sum_assignment

    rng = random.Random(7)
    for _ in range(300):
        rows, cols = rng.randint(1, 3), rng.randint(1, 4)
        weights = [
            [rng.choice([0.0, 0.5, 1.0, 4.5, 5.0, 21.0]) for _ in range(cols)] for _ in range(rows)
        ]
        found = _unique_best_pairs(weights)
        best_rows, best_cols = linear_sum_assignment(weights, maximize=True)
        best = sum(weights[r][c] for r, c in zip(best_rows, best_cols, strict=True))
        if found is None:  # a tie: another assignment reaches the best total
            continue
        assert found == sorted(zip(best_rows.tolist(), best_cols.tolist(), strict=True))
        assert sum(weights[r][c] for r, c in found) == best
    assert _unique_best_pairs([[1.0, 1.0]]) is None
    assert _unique_best_pairs([[1.0], [2.0]]) == [(1, 0)]


def _random_judgements(rng: random.Random, rows: int, cols: int) -> dict:
    """Judged cells of a rows x cols grid (a cell left out is a call to another operation):
    passed or not, with F1s that tie often."""
    verdict = _unmatched_actual(call("getGenres"))
    return {
        (row, col): (replace(verdict, passed=rng.random() < 0.5), rng.choice(F1S), None)
        for row in range(rows)
        for col in range(cols)
        if rng.random() < 0.6
    }


F1S = [0.0, 0.5, 2 / 3, 1.0]


def _scipy_pairs(weights: list[list[float]]) -> list[tuple[int, int]]:
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(weights, maximize=True)
    return sorted(zip(rows.tolist(), cols.tolist(), strict=True))


def test_a_grid_of_one_row_or_column_is_paired_as_scipy_pairs_it(make_case) -> None:
    """The heaviest cell, the first of equal ones (a tie is common: no call to the expected
    operation, or two identical calls)."""
    rng = random.Random(11)
    for _ in range(500):
        length = rng.randint(2, 5)
        judged = _random_judgements(rng, length, 1)
        assert _best_pairs(_weights(judged, length, 1)) == _scipy_pairs(_weights(judged, length, 1))
    # One expected call: its plan judges the calls to its operation, the rest weigh nothing.
    case = make_case("- operation: getBestPodcasts\n  arguments: {genre_id: 93, page: 2}")
    plan = _case_plans(case, None)[0][0]
    for _ in range(500):
        calls = [
            call("getGenres")
            if rng.random() < 0.3
            else call(
                "getBestPodcasts",
                **{name: rng.choice([93, 2, 7]) for name in ("genre_id", "page", "region")},
            )
            for _ in range(rng.randint(2, 5))
        ]
        judged = {
            (0, col): plan.judge(one) for col, one in enumerate(calls) if one.name == plan.operation
        }
        index, judgement = _best_call(plan, calls)
        assert [(0, index)] == _scipy_pairs(_weights(judged, 1, len(calls)))
        assert judgement == plan.judge(calls[index])


def test_forced_pairs_are_the_one_best_assignment() -> None:
    """When the calls to the expected operations pair one to one and cover the smaller side,
    scipy picks them too; otherwise the shortcut declines."""
    rng = random.Random(5)
    forced = 0
    for _ in range(2000):
        rows, cols = rng.randint(2, 4), rng.randint(1, 4)
        judged = _random_judgements(rng, rows, cols)
        if rng.random() < 0.5:  # a one-to-one grid, as distinct operations give
            judged = {cell: judged[cell] for cell in judged if cell[0] == cell[1]}
        pairs = _forced_pairs(judged, min(rows, cols))
        weights = _weights(judged, rows, cols)
        if pairs is None:
            rows_taken = {row for row, _ in judged}
            cols_taken = {col for _, col in judged}
            smaller = min(rows, cols)
            assert (len(judged), len(rows_taken), len(cols_taken)) != (smaller,) * 3
            continue
        forced += 1
        assert pairs == _scipy_pairs(weights)
        assert _unique_best_pairs(weights) == pairs
    assert forced > 300
