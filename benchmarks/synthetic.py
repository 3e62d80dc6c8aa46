"""Synthetic prompt suites and cassettes, of any size, for the eval and replay benchmarks.

Case ``i`` asks "Find podcasts about topic<i>" and expects ``searchPodcasts(q=topic<i>)``,
which is what the model stub answers, so every case is scored as a pass. Cassettes for a
large suite are fanned out from one template recorded through the real runner and the stub:
the template's topic, case id and fingerprint are substituted per case, so each file is
byte-for-byte what recording that case would have written (apart from timestamps).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import yaml

from harness.cassettes.layout import cassette_path
from harness.eval.runner import RunConfig, run_eval
from harness.eval.suite import load_suite

MODEL = "bench-stub"
TEMPLATE_TOPIC = "zztemplatetopiczz"
TEMPLATE_ID = "bench-template"
DUMMY_API_KEY = "bench-dummy-key"
"""What the runner is given as OPENAI_API_KEY for the stub (it wants one to record)."""


def case_id(index: int) -> str:
    """The id of synthetic case ``index``."""
    return f"bench-{index:05d}"


def topic(index: int) -> str:
    """The search topic of synthetic case ``index`` (one word)."""
    return f"topic{index:05d}"


def write_suite(path: Path, size: int) -> Path:
    """Write a suite of ``size`` synthetic cases to ``path`` (a YAML file)."""
    cases = [_case(case_id(i), topic(i)) for i in range(size)]
    return _write_yaml(path, cases)


def _case(identifier: str, subject: str) -> dict:
    return {
        "id": identifier,
        "prompt": f"Find podcasts about {subject}",
        "tags": ["bench"],
        "expect": [{"operation": "searchPodcasts", "arguments": {"q": subject}}],
    }


def _write_yaml(path: Path, cases: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        yaml.dump({"cases": cases}, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper)),
        encoding="utf-8",
    )
    return path


def eval_config(suite: Path, base_url: str, workdir: Path, **options: object) -> RunConfig:
    """A run of ``suite`` against the model stub at ``base_url``, writing under ``workdir``."""
    return RunConfig(
        suite=suite,
        backend="openai",
        model=MODEL,
        base_url=base_url,
        cassettes=workdir / "cassettes",
        out=workdir / "reports",
        progress=False,
        **options,
    )


def record_template(stub_url: str, workdir: Path) -> str:
    """Record the template case through the runner and the stub; return the cassette text."""
    suite = _write_yaml(workdir / "template.yaml", [_case(TEMPLATE_ID, TEMPLATE_TOPIC)])
    config = eval_config(suite, stub_url + "/v1", workdir, record="all")
    with dummy_api_key():
        summary = asyncio.run(run_eval(config))
    if summary.status_counts["pass"] != 1:
        raise RuntimeError(f"template case did not pass: {summary.results}")
    return cassette_path(config.cassettes, MODEL, TEMPLATE_ID, 0).read_text(encoding="utf-8")


@contextlib.contextmanager
def dummy_api_key() -> Iterator[None]:
    """Give the runner a throwaway OPENAI_API_KEY (it wants one to record), then restore."""
    saved = os.environ.get("OPENAI_API_KEY")
    os.environ["OPENAI_API_KEY"] = DUMMY_API_KEY
    try:
        yield
    finally:
        if saved is None:
            del os.environ["OPENAI_API_KEY"]
        else:
            os.environ["OPENAI_API_KEY"] = saved


def fan_out_cassettes(template: str, suite: Path, cassettes: Path) -> int:
    """Write one cassette per case of ``suite`` from ``template``; return how many."""
    template_case = load_suite(
        _write_yaml(cassettes / "template-case.yaml", [_case(TEMPLATE_ID, TEMPLATE_TOPIC)])
    ).cases[0]
    (cassettes / "template-case.yaml").unlink()
    cases = load_suite(suite).cases
    for index, case in enumerate(cases):
        text = (
            template.replace(template_case.fingerprint, case.fingerprint)
            .replace(TEMPLATE_ID, case.id)
            .replace(TEMPLATE_TOPIC, topic(index))
        )
        path = cassette_path(cassettes, MODEL, case.id, 0)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return len(cases)
