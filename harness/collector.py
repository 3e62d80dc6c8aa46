"""The cyclic garbage collector around work that makes many objects that live on.

Python's collector walks every container of a generation each time it collects it: objects
made in bulk and kept (a suite's cases, a run's results) are walked again by each
collection until they reach the oldest generation, and then by each full collection.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def less_often(young_threshold: int) -> Iterator[None]:
    """The youngest generation collected every ``young_threshold`` allocations (at least;
    Python's default is 700) for the block, then as before: for work that allocates
    thousands of short-lived containers, such as a run replaying its cases (parsed YAML,
    requests, results), which the default threshold collected every few cases."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], young_threshold), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


@contextmanager
def paused() -> Iterator[None]:
    """The collector off for the block (as the caller had it afterwards): for building
    objects that all live on, such as a composed document or the records of a file."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def frozen() -> Iterator[None]:
    """Every object that exists now left out of collections while the block runs, as
    ``gc.freeze()`` does (they are freed by reference counting as usual; a cycle among them
    waits until the block ends). Objects frozen before are left frozen."""
    already = gc.get_freeze_count()
    gc.freeze()
    try:
        yield
    finally:
        if not already:
            gc.unfreeze()
