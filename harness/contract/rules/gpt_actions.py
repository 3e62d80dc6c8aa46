"""GPT Actions rules that are more than a length: the consequential flag."""

from __future__ import annotations

from collections.abc import Iterator

from harness.contract.jsondoc import join
from harness.contract.operation_walk import iter_operations
from harness.contract.rules.base import Issue, LintInput, rule
from harness.contract.rules.sources import GPT_ACTIONS

CONSEQUENTIAL = "x-openai-isConsequential"


@rule(
    "gpt-actions-consequential",
    "error",
    f"set {CONSEQUENTIAL}: true (ChatGPT asks before every call) or false (the user may "
    "'always allow') on the operation",
    targets=("gpt-actions",),
    sources=(GPT_ACTIONS,),
)
def check_consequential(lint: LintInput) -> Iterator[Issue]:
    """Every non-GET operation states `x-openai-isConsequential` as a boolean."""
    assert lint.spec is not None
    for operation in iter_operations(lint.spec):
        flag = operation.node.get(CONSEQUENTIAL)
        if flag is None:
            if operation.method != "get":
                yield Issue(
                    "spec",
                    operation.pointer,
                    f"{operation.label}: {operation.method.upper()} without {CONSEQUENTIAL} "
                    "(ChatGPT then treats it as consequential); state the choice",
                )
        elif not isinstance(flag, bool):
            yield Issue(
                "spec",
                join(operation.pointer, CONSEQUENTIAL),
                f"{operation.label}: {CONSEQUENTIAL} must be true or false, not {flag!r}",
            )
