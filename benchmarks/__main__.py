"""``python -m benchmarks``: run the benchmarks, print the tables, write reports/benchmarks/."""

from __future__ import annotations

import compileall
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from benchmarks import (
    candidates,
    eval_throughput,
    fuzz_speed,
    local_model,
    proxy_overhead,
    replay,
    report,
    scoring,
)
from benchmarks.load import generator_name
from benchmarks.servers import REPO_ROOT

SECTIONS = ("proxy", "eval", "replay", "scoring", "fuzz")
OPT_IN_SECTIONS = ("candidates", "local")
"""Run only when named with --only ("local" records the suite with the real local models,
20-40 min)."""
DEFAULT_OUT = Path("reports/benchmarks")

FULL = {
    "eval_cases": 200,
    "eval_concurrency": (1, 8, 32),
    "eval_latency_s": 0.5,
    "replay_sizes": (100, 1000, 10000),
    "scoring_pairs": 10000,
    "scoring_rounds": 3,
    "scoring_processes": 3,
    "fuzz_examples": 20,
    "warmup_s": 2.0,
}
QUICK = {
    "eval_cases": 16,
    "eval_concurrency": (1, 8),
    "eval_latency_s": 0.05,
    "replay_sizes": (10, 40),
    "scoring_pairs": 500,
    "scoring_rounds": 1,
    "scoring_processes": 1,
    "fuzz_examples": 2,
    "warmup_s": 0.5,
}


@click.command()
@click.option("--quick", is_flag=True, help="Tiny sizes and short loads: a smoke run.")
@click.option(
    "--only",
    "only",
    multiple=True,
    type=click.Choice(SECTIONS + OPT_IN_SECTIONS),
    help="Run only this section (repeatable). Default: all but candidates.",
)
@click.option(
    "--load",
    "load",
    type=click.Choice(["auto", "wrk", "python"]),
    default="auto",
    show_default=True,
    help="Load generator for the proxy section; auto uses wrk when installed.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Where latest.md and latest.json are written.",
)
@click.option("--seed", default=1, show_default=True, help="Seed of the fuzz run.")
def main(quick: bool, only: tuple[str, ...], load: str, out: Path, seed: int) -> None:
    """Measure proxy overhead, eval throughput, replay speed and memory, and fuzz speed."""
    sizes = QUICK if quick else FULL
    sections = [name for name in SECTIONS + OPT_IN_SECTIONS if name in (only or SECTIONS)]
    document: dict[str, Any] = {
        "command": shlex.join(["python", "-m", "benchmarks", *sys.argv[1:]]),
        "quick": quick,
        "machine": report.machine_info(),
        "sections": {},
    }
    # Every `harness` subprocess finds the bytecode a second run of any install finds (an
    # editable install has none until a run writes it, and PYTHONDONTWRITEBYTECODE stops that).
    compileall.compile_dir(REPO_ROOT / "harness", quiet=1)
    with tempfile.TemporaryDirectory(prefix="harness-bench-") as scratch:
        workdir = Path(scratch)
        for name in sections:
            click.echo(f"running {name} ...", err=True)
            document["sections"][name] = _run_section(name, sizes, quick, load, seed, workdir)
    markdown = report.render(document)
    if "local" in document["sections"]:
        markdown += "\n".join(local_model.render(document["sections"]["local"]))
    click.echo(markdown)
    json_path, md_path = report.write(document, markdown, out)
    click.echo(f"written: {md_path}, {json_path}", err=True)


def _run_section(
    name: str, sizes: dict[str, Any], quick: bool, load: str, seed: int, workdir: Path
) -> dict[str, Any]:
    if name == "proxy":
        generator = generator_name(load)
        profiles = proxy_overhead.saturation_and_latency(quick)
        result = proxy_overhead.measure(profiles, generator, warmup_s=sizes["warmup_s"])
        return {"generator": generator, **result}
    if name == "candidates":
        generator = generator_name(load)
        result = candidates.measure(candidates.profiles(quick), generator)
        return {"generator": generator, **result}
    if name == "eval":
        return eval_throughput.measure(
            workdir, sizes["eval_cases"], sizes["eval_concurrency"], sizes["eval_latency_s"]
        )
    if name == "replay":
        return replay.measure(workdir, sizes["replay_sizes"])
    if name == "scoring":
        return scoring.measure(
            sizes["scoring_pairs"], sizes["scoring_rounds"], sizes["scoring_processes"]
        )
    if name == "local":
        return local_model.measure(workdir, quick)
    return fuzz_speed.measure(sizes["fuzz_examples"], seed)


if __name__ == "__main__":
    main(prog_name="python -m benchmarks")
