"""JUnit XML: one test case per (case, repeat), so CI systems show prompt regressions.

``classname`` is the expected operation; a failed case carries ``<failure>`` with the reason;
an ``error`` row carries ``<error type="error">``; a ``stale`` row carries
``<error type="stale">`` (a stale cassette is a harness error, never a silent skip).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from harness.report.load import Run
from harness.report.numbers import total
from harness.results import NO_CALL


def render_junit(run: Run) -> str:
    """The JUnit XML document of a run."""
    rows = run.rows
    run_id = str(run.metadata.get("run_id") or "harness-eval")
    latencies = [row["latency_s"] or 0.0 for row in rows]
    suite = ET.Element(
        "testsuite",
        name=run_id,
        tests=str(len(rows)),
        failures=str(sum(1 for row in rows if row["status"] == "fail")),
        errors=str(sum(1 for row in rows if row["status"] in ("error", "stale"))),
        skipped="0",
        time=f"{total(latencies):.3f}",
    )
    for row in rows:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=row["operation"] if row["operation"] != NO_CALL else "no_call",
            name=f"{row['case_id']}[{row['repeat']}]",
            time=f"{row['latency_s'] or 0.0:.3f}",
        )
        reason = "" if row["reason"] is None else str(row["reason"])
        if row["status"] == "fail":
            ET.SubElement(case, "failure", message=reason, type="fail").text = _details(row)
        elif row["status"] in ("error", "stale"):
            ET.SubElement(case, "error", message=reason, type=row["status"]).text = _details(row)
    root = ET.Element("testsuites", name="harness eval")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _details(row: dict[str, Any]) -> str:
    lines = [
        f"prompt: {row['prompt']}",
        f"expected: {', '.join(row['expected_operations']) or NO_CALL}",
        f"called: {', '.join(str(name) for name in row['actual_operations']) or NO_CALL}",
    ]
    if isinstance(row["reason_code"], str):
        lines.append(f"reason code: {row['reason_code']}")
    if row["error"]:
        lines.append(f"error: {row['error']}")
    return "\n".join(lines)
