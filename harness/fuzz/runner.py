"""Run schemathesis' own engine over a loaded schema and tally what it did.

The engine (``schemathesis.engine.from_schema(schema).execute()``) generates the cases, runs
the phases, workers and checks; its events are fed, as in ``schemathesis run``, to an
``ExecutionContext`` and to schemathesis' own JUnit and JSON report writers. The only
hand-written part is :class:`Tally`, which counts examples and checks per operation and keeps
each failure with its reproducing curl command for the one-line summary.

``ExecutionContext`` and the report handlers live in ``schemathesis.cli``: the engine has no
other reporter interface, and driving it from Python (rather than shelling out to
``schemathesis run``) keeps in-process ASGI fuzzing and these tallies. The ``<5`` pin on
schemathesis in ``pyproject.toml`` covers them.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemathesis import BaseSchema
from schemathesis.cli.commands.run.context import ExecutionContext
from schemathesis.cli.commands.run.handlers.base import EventHandler
from schemathesis.cli.commands.run.handlers.junitxml import JunitXMLHandler
from schemathesis.cli.events import LoadingFinished, LoadingStarted
from schemathesis.cli.json_report import JsonReportHandler
from schemathesis.engine import events, from_schema
from schemathesis.engine.core import EventStream

REPORT_FORMATS = ("junit", "json")
REPORT_FILE_NAMES = {"junit": "junit.xml", "json": "schemathesis.json"}
FILTERED_AUTH = "Authorization: [Filtered]"
"""How schemathesis' sanitizer writes the bearer header in a code sample."""


@dataclass(frozen=True)
class FailureRecord:
    """One failed check on one request, with the curl command that reproduces it."""

    operation: str
    check: str
    title: str
    message: str
    status: int | None
    curl: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "operation": self.operation,
            "check": self.check,
            "title": self.title,
            "message": self.message,
            "status": self.status,
            "curl": self.curl,
        }


@dataclass
class RunResult:
    """What one engine run did: counts per operation, failures, errors, time and seed."""

    name: str
    seed: int
    duration_s: float = 0.0
    examples: Counter[str] = field(default_factory=Counter)
    checks: Counter[str] = field(default_factory=Counter)
    check_names: Counter[str] = field(default_factory=Counter)
    failures: list[FailureRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    stopped_at: int | None = None
    """The ``--max-requests`` limit that ended the run early, if one did."""

    @property
    def ok(self) -> bool:
        """No failure, no error, and at least one example ran."""
        return not self.failures and not self.errors and self.total_examples > 0

    @property
    def total_examples(self) -> int:
        return sum(self.examples.values())

    @property
    def total_checks(self) -> int:
        return sum(self.checks.values())

    def summary_line(self) -> str:
        """``name: N examples, M checks, F failures, E errors in Ts (seed S)``."""
        stopped = f"; stopped at --max-requests {self.stopped_at}" if self.stopped_at else ""
        return (
            f"{self.name}: {self.total_examples} examples, {self.total_checks} checks, "
            f"{len(self.failures)} failures, {len(self.errors)} errors "
            f"in {self.duration_s:.1f}s (seed {self.seed}{stopped})"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, per-operation counts included."""
        return {
            "name": self.name,
            "seed": self.seed,
            "ok": self.ok,
            "duration_s": round(self.duration_s, 3),
            "examples": self.total_examples,
            "checks": self.total_checks,
            "failures": [failure.as_dict() for failure in self.failures],
            "errors": self.errors,
            "operations": {
                label: {"examples": self.examples[label], "checks": self.checks[label]}
                for label in sorted(set(self.examples) | set(self.checks))
            },
            "check_runs": dict(sorted(self.check_names.items())),
            "reports": [str(path) for path in self.reports],
        }


class Tally(EventHandler):
    """Counts examples and checks per operation; records failures with a curl command."""

    def __init__(self, result: RunResult, reproduce: Callable[[str], str]) -> None:
        self.result = result
        self.reproduce = reproduce
        self._seen: set[tuple[str, str, str]] = set()

    def handle_event(self, ctx: ExecutionContext, event: events.EngineEvent) -> None:
        if isinstance(event, events.ScenarioFinished) and event.is_test_scenario:
            self._on_scenario(event)
        elif isinstance(event, events.NonFatalError):
            self.result.errors.append(f"{event.label}: {event.info.title}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            self.result.errors.append(f"fatal: {event.exception}")

    def _on_scenario(self, event: events.ScenarioFinished) -> None:
        recorder = event.recorder
        for case_id, node in recorder.cases.items():
            label = node.value.operation.label
            if node.parent_id is None:
                self.result.examples[label] += 1
            for check in recorder.checks.get(case_id, []):
                self.result.checks[label] += 1
                self.result.check_names[check.name] += 1
                if check.failure_info is not None:
                    self._on_failure(label, check.name, case_id, check.failure_info, recorder)

    def _on_failure(self, label: str, check: str, case_id: str, info: Any, recorder: Any) -> None:
        failure = info.failure
        key = (label, check, failure.title)
        if key in self._seen:
            return
        self._seen.add(key)
        response = recorder.find_response(case_id=failure.case_id or case_id)
        self.result.failures.append(
            FailureRecord(
                operation=label,
                check=check,
                title=failure.title,
                message=failure.message,
                status=response.status_code if response is not None else None,
                curl=self.reproduce(info.code_sample),
            )
        )


@dataclass
class RequestBudget:
    """Stops an engine run after ``limit`` requests (a per-schema ``after_call`` hook)."""

    limit: int
    engine: EventStream
    result: RunResult
    sent: int = 0

    def after_call(self, context: Any, case: Any, response: Any) -> None:
        self.sent += 1
        if self.sent >= self.limit and not self.engine.stop_event.is_set():
            self.result.stopped_at = self.limit
            self.engine.stop()


def loading_events(
    schema: BaseSchema, location: str, engine: EventStream | None = None
) -> Iterator[events.EngineEvent]:
    """The events ``schemathesis run`` emits around loading, then the engine's own events
    (from ``engine``, default a new run of ``schema``)."""
    started = LoadingStarted(location=location)
    yield started
    yield LoadingFinished.from_schema(
        schema, location=location, start_time=started.timestamp, base_url=schema.get_base_url()
    )
    yield from engine if engine is not None else from_schema(schema).execute()


def report_handlers(formats: tuple[str, ...], directory: Path | None) -> list[EventHandler]:
    """Schemathesis' own writers for the requested report formats, under ``directory``."""
    unknown = sorted(set(formats) - set(REPORT_FORMATS))
    if unknown:
        raise ValueError(f"unknown report format(s) {', '.join(unknown)}: use junit and/or json")
    if formats and directory is None:
        raise ValueError("a report directory is needed to write reports")
    handlers: list[EventHandler] = []
    if formats:
        assert directory is not None
        directory.mkdir(parents=True, exist_ok=True)
    if "junit" in formats:
        handlers.append(JunitXMLHandler(directory / REPORT_FILE_NAMES["junit"]))
    if "json" in formats:
        handlers.append(JsonReportHandler(directory / REPORT_FILE_NAMES["json"]))
    return handlers


def run_schema(
    schema: BaseSchema,
    *,
    name: str,
    location: str,
    reproduce: Callable[[str], str] = str,
    formats: tuple[str, ...] = (),
    report_dir: Path | None = None,
    max_requests: int | None = None,
) -> RunResult:
    """Run every enabled phase and check of ``schema`` and return the tally.

    ``reproduce`` turns schemathesis' curl sample into the command printed for a failure;
    ``formats`` (``junit``, ``json``) are written by schemathesis under ``report_dir``.
    ``max_requests`` stops the engine once that many requests (all phases and operations)
    have been sent: schemathesis checks its stop flag before each case, so no more follow.
    """
    result = RunResult(name=name, seed=schema.config.seed)
    handlers = [*report_handlers(formats, report_dir), Tally(result, reproduce)]
    ctx = ExecutionContext(config=schema.config)
    started = time.perf_counter()
    engine = from_schema(schema).execute()
    budget = RequestBudget(max_requests, engine, result) if max_requests is not None else None
    if budget is not None:
        schema.hooks.register_hook_with_name(budget.after_call, "after_call")
    stream = loading_events(schema, location, engine)
    try:
        for handler in handlers:
            handler.start(ctx)
        for event in stream:
            ctx.on_event(event)
            for handler in handlers:
                handler.handle_event(ctx, event)
    finally:
        stream.close()
        result.duration_s = time.perf_counter() - started
        for handler in handlers:
            handler.shutdown(ctx)
    if report_dir is not None:
        result.reports = [report_dir / REPORT_FILE_NAMES[fmt] for fmt in formats]
    return result


def curl_for(base_url: str, reproduce_base_url: str) -> Callable[[str], str]:
    """A ``reproduce`` function: point the sample at ``reproduce_base_url``, auth from the env."""

    def reproduce(code_sample: str) -> str:
        command = code_sample.replace(base_url.rstrip("/"), reproduce_base_url.rstrip("/"), 1)
        return command.replace(f"'{FILTERED_AUTH}'", '"Authorization: Bearer $CHATGPT_SECRET"')

    return reproduce
