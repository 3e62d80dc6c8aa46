"""One exception base: every exception class of the package is a HarnessError, documented in
the tree of harness.errors, and mapped to its exit code in one place."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import click
import pytest
from click.testing import CliRunner

import harness
from harness import errors
from harness.errors import (
    CHECK_FAILED,
    HARNESS_ERROR,
    OK,
    ExecutionError,
    HarnessError,
    HttpError,
    InputError,
    command_errors,
    exit_code_of,
)


def exception_classes() -> list[type[BaseException]]:
    found = []
    for info in pkgutil.walk_packages(harness.__path__, "harness."):
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == info.name:
                found.append(value)
    return found


def test_every_exception_class_of_the_package_is_a_harness_error() -> None:
    classes = exception_classes()
    assert len(classes) >= 25
    outside = [
        f"{c.__module__}.{c.__qualname__}" for c in classes if not issubclass(c, HarnessError)
    ]
    assert outside == []


def test_every_exception_class_is_in_the_documented_tree() -> None:
    tree = set(re.findall(r"\w+", errors.__doc__ or ""))
    missing = [c.__qualname__ for c in exception_classes() if c.__qualname__ not in tree]
    assert missing == []


def test_each_kind_keeps_the_builtin_base_callers_catch() -> None:
    from harness.contract.load import SpecError
    from harness.contract.tools import UnknownToolError
    from harness.proxy.server import PortUnavailable

    assert issubclass(SpecError, InputError) and issubclass(SpecError, ValueError)
    assert issubclass(PortUnavailable, ExecutionError) and issubclass(PortUnavailable, OSError)
    assert issubclass(UnknownToolError, KeyError)
    assert not issubclass(HttpError, (InputError, ExecutionError))


def test_exit_codes_are_mapped_in_one_place() -> None:
    assert (OK, CHECK_FAILED, HARNESS_ERROR) == (0, 1, 2)
    assert exit_code_of(InputError("x")) == exit_code_of(ExecutionError("x")) == HARNESS_ERROR
    assert exit_code_of(click.UsageError("x")) == 2
    with pytest.raises(TypeError):
        exit_code_of(TypeError("a bug is not an exit code"))


@click.command()
@click.option("--usage", is_flag=True)
@click.option("--bug", is_flag=True)
def _command(usage: bool, bug: bool) -> None:
    with command_errors(as_usage=usage):
        if bug:
            raise TypeError("not a harness error")
        raise InputError("specs/openapi.json: /paths: bad")


def test_a_harness_error_ends_a_command_with_one_line_and_exit_two() -> None:
    result = CliRunner().invoke(_command, [])
    assert result.exit_code == HARNESS_ERROR
    assert result.output == "error: specs/openapi.json: /paths: bad\n"
    usage = CliRunner().invoke(_command, ["--usage"])
    assert usage.exit_code == HARNESS_ERROR
    assert usage.output.startswith("Usage: ")
    assert "Error: specs/openapi.json: /paths: bad" in usage.output


def test_an_unexpected_exception_is_not_swallowed() -> None:
    result = CliRunner().invoke(_command, ["--bug"])
    assert isinstance(result.exception, TypeError)
