"""A stable partition of a suite's cases into shards, for `harness eval --shard I/N`.

A case's shard depends on its id alone (sha256 of the id, modulo N), so it is the same on
every machine and Python version, and editing, adding or removing other cases never moves
it. Every case is in exactly one shard and all repeats of a case run in that shard.
``suite_digest`` identifies the selected cases (ids, what the model sees, expectations) so
that `harness report` can refuse to merge shards of different suites.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from harness.errors import InputError
from harness.eval.suite import Case

SHARD_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


class ShardError(InputError):
    """A ``--shard`` value that is not ``I/N`` with 1 <= I <= N."""


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise ShardError(f"shard {self.index}/{self.count}: I must be between 1 and N")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"2/4"`` -> Shard(2, 4)."""
        match = SHARD_PATTERN.match(text)
        if match is None:
            raise ShardError(f"shard {text!r} is not like 2/4 (shard I of N, 1-based)")
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, case_id: str) -> bool:
        """True when ``case_id`` belongs to this shard."""
        return shard_index(case_id, self.count) == self.index

    def select(self, cases: Iterable[Case]) -> list[Case]:
        """The cases of this shard, in suite order."""
        return [case for case in cases if self.holds(case.id)]


def shard_index(case_id: str, count: int) -> int:
    """The 1-based shard of ``case_id`` among ``count`` shards."""
    digest = hashlib.sha256(case_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def suite_digest(cases: Iterable[Case]) -> str:
    """sha256 over the ids, fingerprints and expectations of ``cases`` (order-independent)."""
    entries = sorted(
        (case.id, case.fingerprint, json.dumps(case.expect, sort_keys=True, default=str))
        for case in cases
    )
    return hashlib.sha256(json.dumps(entries).encode("utf-8")).hexdigest()


def shard_record(shard: Shard, selected: list[Case], in_shard: list[Case]) -> dict[str, Any]:
    """The ``shard`` entry of a shard run's run.json."""
    return {
        "index": shard.index,
        "count": shard.count,
        "cases": len(in_shard),
        "suite_cases": len(selected),
        "suite_sha256": suite_digest(selected),
    }
