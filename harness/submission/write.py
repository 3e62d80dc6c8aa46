"""Write a reviewer pack: `tools.json`, `test-cases.json` and `test-cases.md`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.report.redact import redactor
from harness.submission.pack import FORMAT_NOTE, PACK_FORMAT, Pack, PackCase


def tools_document(pack: Pack) -> dict[str, Any]:
    """`tools.json`: every tool with its annotations and justifications."""
    return {
        "format": PACK_FORMAT,
        "note": FORMAT_NOTE,
        "spec_sha256": pack.run.get("spec_sha256"),
        "tools": pack.tools,
    }


def cases_document(pack: Pack) -> dict[str, Any]:
    """`test-cases.json`: the run, the selection and every chosen case."""
    return {
        "format": PACK_FORMAT,
        "note": FORMAT_NOTE,
        "run": pack.run,
        "selection": {"positive_tag": pack.positive_tag, "notes": pack.notes},
        "summary": {
            "positive": len(pack.positive),
            "negative": len(pack.negative),
            "passing_every_repeat": len(pack.cases) - len(pack.failing),
            "failing": [case.case_id for case in pack.failing],
        },
        "positive": [case.to_dict() for case in pack.positive],
        "negative": [case.to_dict() for case in pack.negative],
    }


def _call_text(call: dict[str, Any]) -> str:
    arguments = ", ".join(
        f"{name}={json.dumps(value, ensure_ascii=False)}"
        for name, value in (call.get("arguments") or {}).items()
    )
    error = f" (rejected: {call['error']})" if call.get("error") else ""
    return f"`{call.get('name')}({arguments})`{error}"


def _case_markdown(number: int, case: PackCase) -> list[str]:
    verdict = "passes" if case.passed_every_repeat else "FAILS"
    pass_hat_k = 1 if case.passed_every_repeat else 0
    lines = [
        f"### {number}. `{case.case_id}`: {verdict} (passed {case.passes} of {case.tries} "
        f"repeats; pass^{case.tries} = {pass_hat_k})",
        "",
        f"- Prompt: {json.dumps(case.prompt, ensure_ascii=False)}",
    ]
    if case.kind == "negative":
        lines.append("- Expected: no tool call")
    else:
        expected = json.dumps(case.expected, ensure_ascii=False)
        lines.append(f"- Expected: `{expected}`")
    for entry in case.model_calls:
        calls = ", ".join(_call_text(call) for call in entry["calls"]) or "no tool call"
        shown = ", ".join(str(r) for r in entry["repeats"])
        lines.append(f"- Model called: {calls} (repeat {shown}: {', '.join(entry['statuses'])})")
    lines += [f"- Why it failed: {reason}" for reason in case.reasons]
    return [*lines, ""]


def cases_markdown(pack: Pack) -> str:
    """`test-cases.md`: the same cases, for a reviewer to read and try."""
    run = pack.run
    lines = [
        f"# Test cases for review: {run.get('model')}",
        "",
        f"- Run `{run.get('run_id')}` ({run.get('backend')} backend, {run.get('repeat')} "
        f"repeat(s), temperature {run.get('temperature')}), finished {run.get('finished_at')}",
        f"- Spec sha256 `{run.get('spec_sha256')}`",
        f"- Positive cases: tagged `{pack.positive_tag}`; negative cases: the model must not "
        "call a tool",
        f"- {len(pack.cases) - len(pack.failing)} of {len(pack.cases)} cases pass in every repeat",
        *[f"- Note: {note}" for note in pack.notes],
        "",
        f"> {FORMAT_NOTE}",
        "",
        "## Positive cases",
        "",
    ]
    for number, case in enumerate(pack.positive, start=1):
        lines += _case_markdown(number, case)
    lines += ["## Negative cases", ""]
    for number, case in enumerate(pack.negative, start=1):
        lines += _case_markdown(number, case)
    return "\n".join(lines).rstrip() + "\n"


def write_pack(pack: Pack, out_dir: Path | str) -> dict[str, Path]:
    """Write the pack's three files into ``out_dir`` (secrets redacted); return them by name."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    redact = redactor()
    texts = {
        "tools.json": json.dumps(tools_document(pack), indent=2, ensure_ascii=False) + "\n",
        "test-cases.json": json.dumps(cases_document(pack), indent=2, ensure_ascii=False) + "\n",
        "test-cases.md": cases_markdown(pack),
    }
    paths = {}
    for name, text in texts.items():
        paths[name] = out_dir / name
        paths[name].write_text(redact(text), encoding="utf-8")
    return paths
