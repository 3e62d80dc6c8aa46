"""The proxy's own work on one call, in process: what it adds besides HTTP and the server.

The steps of :class:`~harness.proxy.operations.OperationPipeline` that are the proxy's own,
timed on the benchmark's search call (``search_podcasts`` with the stand-in's recorded answer):
parameter validation, decoding the upstream JSON, projection onto the response schema and
encoding the answer. Compared in the report with the p50 the proxy adds at one connection.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from typing import Any

import orjson

from benchmarks.apps import recorded_search_response
from harness.contract.load import load_spec
from harness.proxy.operations import OperationPipeline
from harness.proxy.upstream import UpstreamClient

OPERATION = "searchPodcasts"
QUERY = [("q", "startup"), ("language", "English"), ("page_size", "10")]


def measure(repeat: int = 5, number: int = 2_000) -> dict[str, float]:
    """Microseconds per call of each step (best of ``repeat`` rounds) and their total."""
    spec = load_spec()
    operation = next(op for op in spec.operations.values() if op.operation_id == OPERATION)
    unused = UpstreamClient("http://127.0.0.1:9")  # never called: no connection is opened
    pipeline = OperationPipeline.compile(operation, unused, request_log=None, redact=str)
    body, _ = recorded_search_response()
    decoded = orjson.loads(body)
    projected = pipeline.project(decoded)
    steps: dict[str, Callable[[], Any]] = {
        "validate": lambda: pipeline.rules.parse(QUERY, {}),
        "decode": lambda: orjson.loads(body),
        "project": lambda: pipeline.project(decoded),
        "encode": lambda: orjson.dumps(projected),
    }
    timings = {
        name: round(min(timeit.repeat(step, repeat=repeat, number=number)) / number * 1e6, 1)
        for name, step in steps.items()
    }
    return {**timings, "total": round(sum(timings.values()), 1)}
