"""Score the tool calls a model made against a case's expectation.

Per call: operation match and a verdict per argument (``correct``, ``wrong_value``,
``missing_required``, ``missing_expected_optional``, ``unexpected``), summarised as an
argument F1. Several calls are paired with the expected ones by optimal assignment: one
expected call takes the best call; calls that pair one to one by operation, covering the
smaller side, are the one best assignment; otherwise a small grid with one best assignment is
solved by enumeration, and anything else (ties included) by scipy's algorithm
(:mod:`harness.eval.assignment`, which chooses what ``scipy.optimize.linear_sum_assignment``
chooses, without its import). Alternatives are each scored and the best kept. Each expected call is
compiled once per spec (:class:`_CallPlan`, kept per case by :func:`_case_plans`): its
literals normalised, its matchers bound to the parameter schemas, and each distinct value
sent for an argument judged once.
The rules are documented in ``docs/prompt-suite.md``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise, permutations
from typing import Any, TypeVar

from harness.eval.acceptance import Refusal, bound_refusal
from harness.eval.assignment import max_weight_assignment
from harness.eval.matchers import Equals, Matcher, Schema, compile_matcher
from harness.eval.suite import Alternative, Case, ExpectedCall
from harness.results import ArgumentVerdict, CallVerdict, ReasonCode, ToolCall, fast_constructor

CORRECT = ArgumentVerdict.CORRECT
WRONG_VALUE = ArgumentVerdict.WRONG_VALUE
MISSING_REQUIRED = ArgumentVerdict.MISSING_REQUIRED
MISSING_EXPECTED_OPTIONAL = ArgumentVerdict.MISSING_EXPECTED_OPTIONAL
UNEXPECTED = ArgumentVerdict.UNEXPECTED
T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseScore:
    """The verdict for one case: pass/fail, argument F1 in [0, 1], a one-line reason and its
    code."""

    passed: bool
    score: float
    reason: str | None
    call_verdicts: list[CallVerdict]
    code: ReasonCode | None = None


# Scoring builds a CaseScore and a CallVerdict or more per case: through their slots (see
# fast_constructor), that is a third of what the dataclasses' __init__ took.
new_case_score = fast_constructor(CaseScore)
new_call_verdict = fast_constructor(CallVerdict)


def score_case(case: Case, calls: Sequence[ToolCall], spec: Any = None) -> CaseScore:
    """Score ``calls`` (in the order the model made them) against ``case``.

    ``spec`` (a ``harness.contract.load`` Spec) makes matching type-aware: parameter types, enums
    and defaults come from the operation's parameter schemas, and an argument the proxy
    would refuse (``page_size: 3.0``, a value out of range or off its pattern) is a wrong
    value whatever the matchers say (:mod:`harness.eval.acceptance`). Without it, types are
    inferred from the expected values.
    """
    if case.expects_no_call:
        if not calls:
            return new_case_score(passed=True, score=1.0, reason=None, call_verdicts=[])
        names = ", ".join(call.name for call in calls)
        verdicts = [_unmatched_actual(call) for call in calls]
        why = f"expected no call, got {names}"
        return new_case_score(
            passed=False,
            score=0.0,
            reason=why,
            call_verdicts=verdicts,
            code=ReasonCode.NO_CALL_EXPECTED,
        )
    plans = _case_plans(case, spec)
    if len(plans) == 1:
        return _score_alternative(case.alternatives[0], plans[0], calls)
    best: CaseScore | None = None
    for alternative, plan in zip(case.alternatives, plans, strict=True):
        scored = _score_alternative(alternative, plan, calls)
        if best is None or (scored.passed, scored.score) > (best.passed, best.score):
            best = scored
    assert best is not None
    return best


Problem = tuple[ReasonCode, str]
CallJudgement = tuple[CallVerdict, float, Problem | None]  # the verdict, its F1, first problem


Judgement = tuple[ArgumentVerdict, Problem | None]
# Judgements are kept for values of these types only: equal values of one of them are sent
# and quoted alike (unlike floats: 0.0 == -0.0).
MEMO_TYPES = frozenset({str, int, bool})
MEMO_LIMIT = 4096  # judgements kept per argument and type


class _Judge(ABC):
    """Judges the values sent for one argument name, each distinct value once."""

    def __init__(self) -> None:
        # One memo per type, made when a value of it is first sent: 1, True and "1" are
        # judged apart.
        self.memos: dict[type, dict[Any, Judgement]] = {}

    def of(self, value: Any) -> Judgement:
        """(verdict, the problem or None) for ``value``, as :meth:`judge` gives it."""
        memo = self.memos.get(type(value))
        if memo is None:
            if type(value) not in MEMO_TYPES:
                return self.judge(value)
            memo = self.memos[type(value)] = {}
        judged = memo.get(value)
        if judged is None:
            judged = self.judge(value)
            if len(memo) < MEMO_LIMIT:
                memo[value] = judged
        return judged

    @abstractmethod
    def judge(self, value: Any) -> Judgement:
        """The verdict on ``value`` and, unless correct, the problem it reports."""


class _Expected(_Judge):
    """An expected argument: refused by the proxy, else matched against its acceptable
    values, each bound to the parameter's schema (a literal normalised once)."""

    def __init__(
        self, where: str, matchers: Sequence[Matcher], schema: Schema, refuse: Refusal | None
    ) -> None:
        super().__init__()
        self.where = where
        self.matchers = tuple(matchers)
        self.accepts = tuple(compile_matcher(matcher, schema) for matcher in matchers)
        self.refuse = refuse
        self.missing = (ReasonCode.MISSING_REQUIRED, f"{where}: missing required argument")

    def judge(self, value: Any) -> Judgement:
        refused = None if self.refuse is None else self.refuse(value)
        if refused is not None:
            why = f"{self.where}: the proxy refuses {value!r} ({refused})"
            return WRONG_VALUE, (ReasonCode.REFUSED_VALUE, why)
        if any(accepts(value) for accepts in self.accepts):
            return CORRECT, None
        why = f"{self.where}: expected {_describe(self.matchers)}, got {value!r}"
        return WRONG_VALUE, (ReasonCode.WRONG_VALUE, why)


class _Unasked(_Judge):
    """An argument nobody asked for: correct only when it restates the parameter's
    documented default (and the proxy accepts it)."""

    def __init__(self, where: str, schema: Schema, refuse: Refusal | None) -> None:
        super().__init__()
        self.where = where
        self.refuse = refuse
        has_default = bool(schema) and "default" in schema
        self.restates = compile_matcher(Equals(schema["default"]), schema) if has_default else None

    def judge(self, value: Any) -> Judgement:
        if (
            self.restates is not None
            and (self.refuse is None or self.refuse(value) is None)
            and self.restates(value)
        ):
            return CORRECT, None
        return _unexpected(self.where, value)


def _unexpected(where: str, value: Any) -> Judgement:
    """The verdict on an argument nobody asked for (``where`` is ``operation.name``)."""
    why = f"{where}: unexpected argument (got {value!r})"
    return UNEXPECTED, (ReasonCode.UNEXPECTED_ARGUMENT, why)


class _CallPlan:
    """An expected call compiled against its operation of the spec (or none), once for all
    the calls scored against it: a judge per expected argument and per other parameter."""

    def __init__(self, expected: ExpectedCall, spec: Any) -> None:
        operation = spec.operations.get(expected.operation) if spec is not None else None
        self.expected = expected
        self.operation = expected.operation
        self.optional = expected.optional
        self.spec_operation = operation
        self.schemas = _parameter_schemas(operation)
        self.judges = {
            name: _Expected(
                f"{expected.operation}.{name}",
                matchers,
                self.schemas.get(name),
                self._refusal(name),
            )
            for name, matchers in expected.arguments.items()
        }
        self.unasked: dict[str, _Unasked] = {}  # built as unasked-for parameters turn up

    def _refusal(self, name: str) -> Refusal | None:
        operation = self.spec_operation
        return None if operation is None else bound_refusal(operation, name)

    def _unasked_judge(self, name: str) -> _Unasked | None:
        """The judge of a parameter the call was not expected to send (None when ``name``
        is not a parameter of the spec's operation)."""
        judge = self.unasked.get(name)
        if judge is None and name in self.schemas:
            where = f"{self.operation}.{name}"
            judge = self.unasked[name] = _Unasked(where, self.schemas[name], self._refusal(name))
        return judge

    def _wrong_operation(self, actual: ToolCall) -> CallJudgement:
        reason = f"expected call {self.operation}, got {actual.name}"
        verdict = _finish(self.expected, actual, {}, passed=False, f1=0.0)
        return verdict, 0.0, (ReasonCode.WRONG_OPERATION, reason)

    def judge(self, actual: ToolCall) -> CallJudgement:
        """The verdict on ``actual`` against the expected call, its unrounded F1 and the first
        problem or None: a verdict per argument of a call to the expected operation, an
        invalid call's error first."""
        if actual.name != self.operation:
            return self._wrong_operation(actual)
        given = actual.arguments or {}
        if None in given.values():  # an argument sent as null counts as not sent
            given = {k: v for k, v in given.items() if v is not None}
        verdicts: dict[str, ArgumentVerdict] = {}
        first: Problem | None = None
        sent_expected = 0  # how many of the given arguments are expected ones
        for name, judge in self.judges.items():
            if name in given:
                sent_expected += 1
                verdicts[name], problem = judge.of(given[name])
            elif name in self.optional:
                verdicts[name], problem = MISSING_EXPECTED_OPTIONAL, None
            else:
                verdicts[name], problem = MISSING_REQUIRED, judge.missing
            first = first or problem
        if sent_expected < len(given):
            for name, value in given.items():
                if name not in verdicts:
                    judge = self._unasked_judge(name)
                    verdicts[name], problem = (
                        _unexpected(f"{self.operation}.{name}", value)
                        if judge is None
                        else judge.of(value)
                    )
                    first = first or problem
        # No problem: every argument is correct or optional and left out, so F1 is 1.
        f1 = 1.0 if first is None else _argument_f1(verdicts)
        if actual.error is not None:
            first = (actual.error_code or ReasonCode.INVALID_CALL, f"{actual.name}: {actual.error}")
        verdict = new_call_verdict(
            expected=self.operation,
            actual=actual.name,
            operation_match=True,
            arguments=verdicts,
            passed=first is None,
            score=1.0 if f1 == 1.0 else round(f1, 6),
        )
        return verdict, f1, first


K = TypeVar("K")
L = TypeVar("L")
V = TypeVar("V")
CACHE_LIMIT = 65536  # entries an identity cache keeps; emptied when full (suites reloaded)


def _identity_cache(build: Callable[[K, L], V]) -> Callable[[K, L], V]:
    """``build(first, second)``, kept by the identities of its two arguments (cases and specs
    are unhashable). Each entry holds its arguments, so their ids are not reused while it
    lives."""
    entries: dict[tuple[int, int], tuple[K, L, V]] = {}

    def cached(first: K, second: L) -> V:
        key = (id(first), id(second))
        entry = entries.get(key)
        if entry is None or entry[0] is not first or entry[1] is not second:
            if len(entries) >= CACHE_LIMIT:
                entries.clear()
            entry = entries[key] = (first, second, build(first, second))
        return entry[2]

    return cached


@_identity_cache
def _case_plans(case: Case, spec: Any) -> tuple[tuple[_CallPlan, ...], ...]:
    """The plans of a case's expected calls, per alternative."""
    return tuple(
        tuple(_CallPlan(expected, spec) for expected in alternative.calls)
        for alternative in case.alternatives
    )


def _weight(judged: CallJudgement, step: int) -> float:
    """A judged cell's weight in the pairing. Lexicographic: most passing pairs, then most
    operation matches, then the highest F1 sum (``step`` exceeds the number of pairs, so no
    lower criterion outweighs a higher one); a call to another operation weighs 0."""
    return step * step * judged[0].passed + step + judged[1]


def _forced_pairs(
    judged: Mapping[tuple[int, int], CallJudgement], smaller_side: int
) -> list[tuple[int, int]] | None:
    """The pairs of calls to the expected operation when they pair every call of the smaller
    side with one of the other side, one to one (sorted): then they are the one best
    assignment, as any other leaves one of them out, which outweighs every pair of calls to
    different operations. None otherwise."""
    if len(judged) != smaller_side:
        return None
    pairs = list(judged)
    rows, cols = {row for row, _ in pairs}, {col for _, col in pairs}
    return pairs if len(rows) == len(cols) == smaller_side else None


def _weights(
    judged: Mapping[tuple[int, int], CallJudgement], rows: int, cols: int
) -> list[list[float]]:
    """The grid of weights :func:`_best_pairs` pairs, from the judged cells (see
    :func:`_weight`; every other cell weighs 0)."""
    step = max(rows, cols) + 1
    weights = [[0.0] * cols for _ in range(rows)]
    for (row, col), cell in judged.items():
        weights[row][col] = _weight(cell, step)
    return weights


def _best_pairs(weights: list[list[float]]) -> list[tuple[int, int]]:
    """(expected, actual) index pairs of the best one-to-one assignment of a grid of two rows
    or more, sorted."""
    rows, cols = len(weights), len(weights[0])
    if cols == 1:
        # One actual call: the heaviest cell, the first of equal ones, as scipy picks it.
        column = [row[0] for row in weights]
        return [(max(range(rows), key=column.__getitem__), 0)]
    if math.perm(max(rows, cols), min(rows, cols)) <= SMALL_ASSIGNMENTS:
        unique = _unique_best_pairs(weights)
        if unique is not None:
            return unique
    return max_weight_assignment(weights)


SMALL_ASSIGNMENTS = 24  # a grid with at most this many assignments is solved by enumeration
TIE = 1e-9  # assignments whose totals are closer than this tie: scipy's rule picks one


def _unique_best_pairs(weights: list[list[float]]) -> list[tuple[int, int]] | None:
    """The best assignment of a small grid, by enumeration; None when another one comes
    within :data:`TIE` of it (which of them wins is then scipy's rule:
    :func:`~harness.eval.assignment.max_weight_assignment`)."""
    transposed = len(weights) > len(weights[0])
    if transposed:
        weights = [list(column) for column in zip(*weights, strict=True)]
    best, runner_up, best_cols = -math.inf, -math.inf, ()
    for cols in permutations(range(len(weights[0])), len(weights)):
        total = sum(map(list.__getitem__, weights, cols))
        if total > best:
            best, runner_up, best_cols = total, best, cols
        elif total > runner_up:
            runner_up = total
    if best - runner_up <= TIE:
        return None
    if transposed:
        return sorted((col, row) for row, col in enumerate(best_cols))
    return list(enumerate(best_cols))


def _score_alternative(
    alternative: Alternative, plans: Sequence[_CallPlan], calls: Sequence[ToolCall]
) -> CaseScore:
    """Score ``calls`` against one alternative, ``plans`` the plans of its expected calls."""
    expected = alternative.calls
    if not calls:
        verdicts = [_unmatched_expected(call) for call in expected]
        why = f"missing call {expected[0].operation}"
        return new_case_score(
            passed=False,
            score=0.0,
            reason=why,
            call_verdicts=verdicts,
            code=ReasonCode.MISSING_CALL,
        )
    if len(plans) == 1 and len(calls) == 1:  # the common case: no pairing to do
        verdict, _, problem = plans[0].judge(calls[0])
        code, reason = problem or (None, None)
        return new_case_score(
            passed=verdict.passed,
            score=verdict.score,  # round(f1, 6)
            reason=reason,
            call_verdicts=[verdict],
            code=code,
        )
    if len(plans) == 1:
        return _score_one_expected(plans[0], calls)
    return _score_pairing(alternative, plans, calls)


def _score_pairing(
    alternative: Alternative, plans: Sequence[_CallPlan], calls: Sequence[ToolCall]
) -> CaseScore:
    """Several expected calls: the best pairing of them with the calls, then what is left
    over (a missing call, an unexpected call) and, for ``strict`` order, calls out of order."""
    expected = alternative.calls
    judged: dict[tuple[int, int], CallJudgement] = {}  # the calls to the expected operation
    for row, plan in enumerate(plans):
        for col, call in enumerate(calls):
            if call.name == plan.operation:
                judged[row, col] = plan.judge(call)
    pairs = _forced_pairs(judged, min(len(expected), len(calls))) or _best_pairs(
        _weights(judged, len(expected), len(calls))
    )
    verdicts, reasons, total = [], [], 0.0
    for row, col in pairs:
        # A pair of calls to different operations is judged only when the pairing chooses it.
        verdict, f1, problem = judged.get((row, col)) or plans[row].judge(calls[col])
        verdicts.append(verdict)
        total += f1
        if problem is not None:
            reasons.append(problem)
    if len(pairs) < len(expected):
        for call in _left_over(expected, [r for r, _ in pairs]):
            verdicts.append(_unmatched_expected(call))
            reasons.append((ReasonCode.MISSING_CALL, f"missing call {call.operation}"))
    if len(pairs) < len(calls):
        for call in _left_over(calls, [c for _, c in pairs]):
            verdicts.append(_unmatched_actual(call))
            reasons.append((ReasonCode.UNEXPECTED_CALL, f"unexpected call {call.name}"))
    if alternative.order == "strict" and len(pairs) > 1:
        reasons += _order_problems(pairs, expected)
    score = total / max(len(expected), len(calls))
    code, reason = reasons[0] if reasons else (None, None)
    return new_case_score(
        passed=not reasons,
        score=round(score, 6),
        reason=reason,
        call_verdicts=verdicts,
        code=code,
    )


def _score_one_expected(plan: _CallPlan, calls: Sequence[ToolCall]) -> CaseScore:
    """One expected call and several calls: the best call pairs with it, every other one is
    unexpected."""
    index, (verdict, f1, problem) = _best_call(plan, calls)
    verdicts = [verdict]
    reasons = [] if problem is None else [problem]
    for other, call in enumerate(calls):
        if other != index:
            verdicts.append(_unmatched_actual(call))
            reasons.append((ReasonCode.UNEXPECTED_CALL, f"unexpected call {call.name}"))
    code, reason = reasons[0]
    return new_case_score(
        passed=False,
        score=round(f1 / len(calls), 6),
        reason=reason,
        call_verdicts=verdicts,
        code=code,
    )


def _best_call(plan: _CallPlan, calls: Sequence[ToolCall]) -> tuple[int, CallJudgement]:
    """The call paired with the only expected call and its judgement: the heaviest, the first
    of equal ones, weighed as :func:`_best_pairs` weighs a cell (the first call when none is
    to the expected operation)."""
    step = len(calls) + 1
    best_index, best, best_weight = 0, None, 0.0
    for index, call in enumerate(calls):
        if call.name == plan.operation:
            judged = plan.judge(call)
            weight = _weight(judged, step)
            if weight > best_weight:
                best_index, best, best_weight = index, judged, weight
    return best_index, best or plan.judge(calls[best_index])


def _left_over(items: Sequence[T], paired: list[int]) -> list[T]:
    """The items whose index is not among ``paired`` (the indexes of the paired ones)."""
    if len(paired) == len(items):
        return []
    taken = set(paired)
    return [item for index, item in enumerate(items) if index not in taken]


def _order_problems(
    pairs: list[tuple[int, int]], expected: Sequence[ExpectedCall]
) -> list[tuple[ReasonCode, str]]:
    """Matched pairs (sorted by expected index) whose actual calls run backwards."""
    problems = []
    for (row_a, col_a), (row_b, col_b) in pairwise(pairs):
        if col_b < col_a:
            first, then = expected[row_a].operation, expected[row_b].operation
            why = f"calls out of order: expected {first} before {then}"
            problems.append((ReasonCode.WRONG_ORDER, why))
    return problems


def _argument_f1(verdicts: Mapping[str, ArgumentVerdict]) -> float:
    """F1 of the arguments sent against the arguments expected.

    Precision counts every argument sent; recall counts every expected argument except the
    optional ones that were left out. No arguments expected and none sent scores 1.
    """
    kinds = list(verdicts.values())
    correct, wrong = kinds.count(CORRECT), kinds.count(WRONG_VALUE)
    sent = correct + wrong + kinds.count(UNEXPECTED)
    relevant = correct + wrong + kinds.count(MISSING_REQUIRED)
    if sent == 0 and relevant == 0:
        return 1.0
    # 2PR / (P + R) with P = correct / sent and R = correct / relevant.
    return 2 * correct / (sent + relevant)


def _parameter_schemas(operation: Any) -> dict[str, Schema]:
    """Parameter name -> JSON schema for an operation of the spec (empty without one)."""
    if operation is None:
        return {}
    return {parameter.name: parameter.schema for parameter in operation.parameters}


def _describe(matchers: Sequence[Any]) -> str:
    if not matchers:
        return "no value (omit it)"
    if len(matchers) == 1:
        return matchers[0].describe()
    return "one of " + ", ".join(matcher.describe() for matcher in matchers)


def _finish(
    expected: ExpectedCall,
    actual: ToolCall,
    arguments: dict[str, ArgumentVerdict],
    *,
    passed: bool,
    f1: float,
) -> CallVerdict:
    return new_call_verdict(
        expected=expected.operation,
        actual=actual.name,
        operation_match=actual.name == expected.operation,
        arguments=arguments,
        passed=passed,
        score=round(f1, 6),
    )


def _unmatched_expected(call: ExpectedCall) -> CallVerdict:
    return new_call_verdict(
        expected=call.operation,
        actual=None,
        operation_match=False,
        arguments={},
        passed=False,
        score=0.0,
    )


def _unmatched_actual(call: ToolCall) -> CallVerdict:
    return new_call_verdict(
        expected=None,
        actual=call.name,
        operation_match=False,
        arguments={},
        passed=False,
        score=0.0,
    )
