"""A cache of compiled report templates that never fails a report."""

from __future__ import annotations

import contextlib

import jinja2
from jinja2.bccache import Bucket


class BestEffortBytecodeCache(jinja2.FileSystemBytecodeCache):
    """jinja2's file cache of compiled templates, in its per-user temporary directory and keyed
    by the template's source checksum, so a run does not compile the report template again
    (~20 ms). A cache file that cannot be read or written only makes that run slower."""

    def load_bytecode(self, bucket: Bucket) -> None:
        # a truncated or foreign file fails in pickle or marshal, each in its own way
        try:
            super().load_bytecode(bucket)
        except Exception:
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def bytecode_cache() -> jinja2.BytecodeCache | None:
    """The cache, or None when its directory cannot be made (or is not the user's alone)."""
    try:
        return BestEffortBytecodeCache()
    except (OSError, RuntimeError):
        return None
