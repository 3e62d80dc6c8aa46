"""harness.collector: each setting holds for its block only, and a caller's own is kept."""

from __future__ import annotations

import gc

import pytest

from harness import collector


def test_the_collector_is_paused_for_the_block_only() -> None:
    assert gc.isenabled()
    with pytest.raises(ValueError), collector.paused():
        assert not gc.isenabled()
        raise ValueError
    assert gc.isenabled()
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


def test_objects_are_frozen_for_the_block_only() -> None:
    assert gc.get_freeze_count() == 0
    kept = [[] for _ in range(100)]
    with pytest.raises(ValueError), collector.frozen():
        assert gc.get_freeze_count() >= len(kept)
        made_inside: list = []
        collected = gc.get_objects()  # what collections walk
        assert not any(item is kept[0] for item in collected)
        assert any(item is made_inside for item in collected)
        raise ValueError
    assert gc.get_freeze_count() == 0
    assert any(item is kept[0] for item in gc.get_objects())


def test_objects_frozen_before_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen_before = gc.get_freeze_count()
        with collector.frozen():
            pass
        assert gc.get_freeze_count() >= frozen_before
    finally:
        gc.unfreeze()


def test_a_cycle_made_in_the_block_is_collected_in_it() -> None:
    with collector.frozen():
        cycle: list = []
        cycle.append(cycle)
        reference = id(cycle)
        del cycle
        gc.collect()
        assert not any(id(item) == reference for item in gc.get_objects())


def test_the_young_threshold_is_raised_for_the_block_only() -> None:
    before = gc.get_threshold()
    with pytest.raises(ValueError), collector.less_often(before[0] * 10):
        assert gc.get_threshold() == (before[0] * 10, *before[1:])
        raise ValueError
    assert gc.get_threshold() == before
    with collector.less_often(1):  # never lowered
        assert gc.get_threshold() == before
