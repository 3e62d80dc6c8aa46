"""What a run emits as it goes, and the consumers that make its outputs from it.

The runner is the engine: it schedules cases and emits :class:`RunStarted`, one
:class:`CaseFinished` per (case, repeat) and :class:`RunFinished`. Everything a run leaves
behind is a handler of those events: :class:`ResultsFile` (results.jsonl, each line flushed
the moment its case finishes), :class:`ProgressBar` (tqdm on a terminal), ``RunSummary``
(what `harness eval` prints from) and the CLI's report writer (on a completed run). A
handler runs inside the case's own task, before the next case may start.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from tqdm import tqdm

from harness.results import CaseResult, write_result


@dataclass(frozen=True)
class RunStarted:
    """The run is about to start ``jobs`` (case, repeat) pairs in ``run_dir``."""

    run_dir: Path
    jobs: int


@dataclass(frozen=True)
class CaseFinished:
    """One (case, repeat) finished; ``result`` is its record, as written."""

    result: CaseResult


@dataclass(frozen=True)
class RunFinished:
    """The run ended and its run.json is final; ``completed`` is False when it failed or was
    interrupted before every job finished. ``records`` are what results.jsonl holds: the
    records a resumed run kept, then those made since."""

    run_dir: Path
    run: dict[str, Any]
    completed: bool
    records: tuple[CaseResult, ...]


Event = RunStarted | CaseFinished | RunFinished


class Handler(Protocol):
    """A consumer of a run's events."""

    def handle(self, event: Event) -> None: ...


class Emitter:
    """Tells every handler of a run each event, in the handlers' order."""

    def __init__(self, handlers: Sequence[Handler]) -> None:
        self.handlers = list(handlers)

    def emit(self, event: Event) -> None:
        for handler in self.handlers:
            handler.handle(event)


class ResultsFile:
    """Appends each finished case to a results file, one flushed line each."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: BinaryIO | None = None

    def handle(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._file = self.path.open("ab")
        elif isinstance(event, CaseFinished) and self._file is not None:
            write_result(self._file, event.result)
        elif isinstance(event, RunFinished) and self._file is not None:
            self._file.close()
            self._file = None


class ProgressBar:
    """A tqdm bar on stderr, shown only when ``enabled`` and stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._bar: tqdm | None = None

    def handle(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._bar = tqdm(
                total=event.jobs,
                desc="eval",
                unit="case",
                file=sys.stderr,
                disable=not self.enabled,
            )
        elif isinstance(event, CaseFinished) and self._bar is not None:
            self._bar.update(1)
        elif isinstance(event, RunFinished) and self._bar is not None:
            self._bar.close()
            self._bar = None
