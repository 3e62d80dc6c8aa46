"""JUnit XML: one test case per (case, repeat), so CI systems show prompt regressions.

``classname`` is the expected operation; a failed case carries ``<failure>`` with the reason;
an ``error`` row carries ``<error type="error">``; a ``stale`` row carries
``<error type="stale">`` (a stale cassette is a harness error, never a silent skip).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd

from harness.results import NO_CALL


def render_junit(df: pd.DataFrame) -> str:
    """The JUnit XML document of a run."""
    run_id = str(df.attrs.get("run", {}).get("run_id") or "harness-eval")
    suite = ET.Element(
        "testsuite",
        name=run_id,
        tests=str(len(df)),
        failures=str(int((df["status"] == "fail").sum())),
        errors=str(int(df["status"].isin(["error", "stale"]).sum())),
        skipped="0",
        time=f"{df['latency_s'].fillna(0).sum():.3f}",
    )
    for row in df.itertuples():
        case = ET.SubElement(
            suite,
            "testcase",
            classname=row.operation if row.operation != NO_CALL else "no_call",
            name=f"{row.case_id}[{row.repeat}]",
            time=f"{0.0 if pd.isna(row.latency_s) else row.latency_s:.3f}",
        )
        reason = "" if pd.isna(row.reason) else str(row.reason)
        if row.status == "fail":
            ET.SubElement(case, "failure", message=reason, type="fail").text = _details(row)
        elif row.status in ("error", "stale"):
            ET.SubElement(case, "error", message=reason, type=row.status).text = _details(row)
    root = ET.Element("testsuites", name="harness eval")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _details(row) -> str:
    lines = [f"prompt: {row.prompt}", f"expected: {', '.join(row.expected_operations) or NO_CALL}"]
    lines += [f"called: {', '.join(str(name) for name in row.actual_operations) or NO_CALL}"]
    if isinstance(row.reason_code, str):
        lines.append(f"reason code: {row.reason_code}")
    if not pd.isna(row.error) and row.error:
        lines.append(f"error: {row.error}")
    return "\n".join(lines)
