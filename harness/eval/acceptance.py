"""Would the proxy accept this argument? The one rule scoring shares with the proxy.

A tool call's argument reaches the proxy as text: a query value rendered by httpx (as
:func:`harness.eval.loop.proxy_executor` sends it: ``3.0`` -> ``"3.0"``, ``True`` ->
``"true"``, a list -> one repeated parameter per item) or a path segment (``str(value)``).
The proxy then converts and validates that text with the operation's
:class:`harness.proxy.validation.ParameterRule`. Scoring runs the same rule on the same text,
so an argument the proxy answers 400 for is never scored correct.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any

import httpx

from harness.contract.load import Operation
from harness.proxy.errors import ProxyError
from harness.proxy.validation import ParameterRule

# id(operation) -> (operation, its rules): operations are unhashable; the operation is kept
# so its id is not reused while the entry lives.
_RULES: dict[int, tuple[Operation, dict[str, ParameterRule]]] = {}


def parameter_rules(operation: Operation) -> dict[str, ParameterRule]:
    """The proxy's rule for each parameter of ``operation``, compiled once."""
    cached = _RULES.get(id(operation))
    if cached is None or cached[0] is not operation:
        rules = {
            parameter.name: ParameterRule.compile(
                parameter.name, parameter.location, parameter.required, parameter.schema
            )
            for parameter in operation.parameters
        }
        cached = _RULES[id(operation)] = (operation, rules)
    return cached[1]


def wire_texts(location: str, name: str, value: Any) -> list[str]:
    """The raw values the proxy receives for one argument (several when a list repeats it)."""
    if location == "path":
        return [str(value)]
    if type(value) in _SCALAR_TEXT:  # what httpx renders a scalar as, without its machinery
        return [_SCALAR_TEXT[type(value)](value)]
    return [text for _, text in httpx.QueryParams({name: value}).multi_items()]


_SCALAR_TEXT = {
    str: str,
    int: str,
    float: str,
    bool: lambda value: "true" if value else "false",
    type(None): lambda value: "",
}


def refusal(operation: Operation, name: str, value: Any) -> str | None:
    """Why the proxy refuses ``value`` for parameter ``name`` (None when it accepts it, or
    when ``name`` is not a parameter: the proxy ignores undeclared names)."""
    rule = parameter_rules(operation).get(name)
    if rule is None:
        return None
    return _rule_refusal(id(operation), rule, name, value)


Refusal = Callable[[Any], str | None]


def bound_refusal(operation: Operation, name: str) -> Refusal | None:
    """:func:`refusal` for parameter ``name`` of ``operation``, bound once (None when ``name``
    is not a parameter)."""
    rule = parameter_rules(operation).get(name)
    return None if rule is None else partial(_rule_refusal, id(operation), rule, name)


def _rule_refusal(operation_id: int, rule: ParameterRule, name: str, value: Any) -> str | None:
    texts = wire_texts(rule.location, name, value)
    if len(texts) != 1:
        return "sent more than once" if texts else "sent empty"
    return _text_refusal(operation_id, name, texts[0])


@lru_cache(maxsize=65536)
def _text_refusal(operation_id: int, name: str, text: str) -> str | None:
    """``refusal`` of one wire text: a pure function of it, so the same value sent again
    (by other cases, repeats, alternatives) is validated once. ``_RULES`` keeps the
    operation alive, so its id is not reused."""
    rule = _RULES[operation_id][1][name]
    try:
        rule.parse(text)
    except ProxyError as error:
        return _detail(error.message, name)
    return None


def _detail(message: str, name: str) -> str:
    """``must be an integer, got '3.0'`` from the proxy's full 400 message."""
    prefix = f"Invalid value for parameter '{name}': "
    return message.removeprefix(prefix).rstrip(".")
