"""Benchmarks of the harness: proxy overhead, eval throughput, cassette replay, fuzzing.

Run ``python -m benchmarks`` from the repository root (``--quick`` for a smoke run). Every
server is a subprocess on 127.0.0.1, every loop is bounded in count and time, and results
are printed as a table and written to ``reports/benchmarks/latest.md`` and ``latest.json``.
"""
