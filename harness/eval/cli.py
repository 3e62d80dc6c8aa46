"""`harness eval`: run the prompt suite against a model, write the reports, apply the gate.

With no options it replays the committed cassettes of the local model (no network, no
model needed), scores every case and writes ``reports/<run-id>/``. Exit codes: 0 ok,
1 gate failed, 2 harness error (bad config, suite or spec; stale cassettes in replay mode).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from harness.cassettes.transport import RECORD_MODES
from harness.eval.local_server import LocalModelUnavailable
from harness.eval.runner import RunConfig, RunError, RunSummary, run_eval
from harness.eval.suite import SuiteError
from harness.report import ConfigError, GateConfig, ReportError, evaluate_gate, write_reports
from harness.spec.load import DEFAULT_MANIFEST_PATH, DEFAULT_SPEC_PATH, SpecError

HARNESS_ERROR = 2
INTERRUPTED = 130


@click.command("eval")
@click.option(
    "--suite",
    type=click.Path(path_type=Path),
    default=Path("prompts"),
    show_default=True,
    help="Suite file or directory of *.yaml files.",
)
@click.option(
    "--spec",
    type=click.Path(path_type=Path),
    default=DEFAULT_SPEC_PATH,
    help="The proxy's openapi.json.",
)
@click.option(
    "--manifest",
    type=click.Path(path_type=Path),
    default=DEFAULT_MANIFEST_PATH,
    help="ai-plugin.json (its description_for_model is the system prompt).",
)
@click.option(
    "--backend",
    type=click.Choice(["local", "openai"]),
    default="local",
    show_default=True,
    help="local: SmolLM2 via llama-cpp-python; openai: any "
    "OpenAI-compatible endpoint (key from OPENAI_API_KEY).",
)
@click.option("--model", help="Model name for --backend openai.")
@click.option("--base-url", help="OpenAI-compatible base URL (default: api.openai.com).")
@click.option("--temperature", type=float, default=0.0, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--tool-choice",
    type=click.Choice(["auto", "required", "none"]),
    default="auto",
    show_default=True,
)
@click.option("--strict", is_flag=True, help="Send strict function schemas.")
@click.option(
    "--execute/--no-execute",
    default=False,
    show_default=True,
    help="Run tool calls against the in-process proxy and feed results back.",
)
@click.option("--max-turns", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--concurrency", type=click.IntRange(min=1), default=4, show_default=True)
@click.option("--repeat", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "--resume",
    "resume",
    type=click.Path(path_type=Path, file_okay=False),
    help="Continue the run in this directory, skipping finished cases.",
)
@click.option(
    "--record",
    type=click.Choice(RECORD_MODES),
    default="none",
    show_default=True,
    help="Cassette record mode; none replays only.",
)
@click.option(
    "--cassettes", type=click.Path(path_type=Path), default=Path("cassettes"), show_default=True
)
@click.option("--case", "case_ids", multiple=True, help="Only this case id (repeatable).")
@click.option("--tag", "tags", multiple=True, help="Only cases with this tag (repeatable).")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Where run directories are created.",
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path, file_okay=False),
    help="A previous run directory to compare with and gate against.",
)
@click.option("--quiet", is_flag=True, help="No progress bar, only the final lines.")
def eval_command(
    suite: Path,
    spec: Path,
    manifest: Path,
    backend: str,
    model: str | None,
    base_url: str | None,
    temperature: float,
    seed: int,
    tool_choice: str,
    strict: bool,
    execute: bool,
    max_turns: int,
    concurrency: int,
    repeat: int,
    resume: Path | None,
    record: str,
    cassettes: Path,
    case_ids: tuple[str, ...],
    tags: tuple[str, ...],
    out: Path,
    baseline: Path | None,
    quiet: bool,
) -> None:
    """Evaluate prompts -> tool calls, score them, write reports and apply the gate."""
    config = RunConfig(
        suite=suite,
        spec=spec,
        manifest=manifest,
        backend=backend,
        model=model,
        base_url=base_url,
        temperature=temperature,
        seed=seed,
        tool_choice=tool_choice,
        strict=strict,
        execute=execute,
        max_turns=max_turns,
        concurrency=concurrency,
        repeat=repeat,
        record=record,
        cassettes=cassettes,
        out=out,
        resume=resume,
        case_ids=case_ids,
        tags=tags,
        progress=not quiet,
    )
    try:
        gate_config = GateConfig.from_pyproject()
        summary = asyncio.run(run_eval(config))
        write_reports(summary.run_dir, baseline, critical_tag=gate_config.critical_tag)
    except KeyboardInterrupt:
        click.echo(
            "interrupted; finished cases are kept (continue with --resume RUN_DIR)", err=True
        )
        raise SystemExit(INTERRUPTED) from None
    except (
        SpecError,
        SuiteError,
        RunError,
        ConfigError,
        ReportError,
        LocalModelUnavailable,
    ) as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(HARNESS_ERROR) from None
    click.echo(_summary_line(summary))
    gate = evaluate_gate(summary.run_dir, baseline, gate_config)
    click.echo(gate.reason)
    if summary.status_counts["stale"] and record == "none":
        click.echo("stale cassettes: re-record with --record new (needs the model)", err=True)
    raise SystemExit(gate.exit_code)


def _summary_line(summary: RunSummary) -> str:
    counts = summary.status_counts
    ran = sum(counts.values())
    parts = ", ".join(f"{counts[status]} {status}" for status in ("pass", "fail", "error", "stale"))
    skipped = f" ({summary.skipped} already done)" if summary.skipped else ""
    runs = "run" if ran == 1 else "runs"
    return f"{summary.run_dir}: {ran} {runs}{skipped}: {parts}"
