"""Reports of an MCP fuzz run: JUnit XML (one test case per tool) and JSON.

A failure carries the JSON-RPC body that reproduces it, a curl command and the seed, the
counterpart of the REST fuzz's curl command.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from harness.fuzz.runner import REPORT_FILE_NAMES, RunResult

JSON_REPORT = "mcp.json"


def render_junit(result: RunResult) -> str:
    """The JUnit XML document of one run: a test case per tool, failures with their call."""
    labels = sorted(set(result.examples) | {failure.operation for failure in result.failures})
    suite = ET.Element(
        "testsuite",
        name=result.name,
        tests=str(len(labels)),
        failures=str(len({failure.operation for failure in result.failures})),
        errors=str(len(result.errors)),
        time=f"{result.duration_s:.3f}",
    )
    ET.SubElement(
        ET.SubElement(suite, "properties"), "property", name="seed", value=str(result.seed)
    )
    for label in labels:
        case = ET.SubElement(suite, "testcase", classname=result.name, name=label)
        for failure in (f for f in result.failures if f.operation == label):
            jsonrpc = getattr(failure, "jsonrpc", None)
            details = [failure.message, f"seed: {result.seed}"]
            if jsonrpc:
                details.append("JSON-RPC request: " + json.dumps(jsonrpc, ensure_ascii=False))
            details.append(failure.curl)
            element = ET.SubElement(case, "failure", message=failure.title, type=failure.check)
            element.text = "\n".join(details)
    for error in result.errors:
        ET.SubElement(
            ET.SubElement(suite, "testcase", classname=result.name, name="run"),
            "error",
            message=error,
        )
    root = ET.Element("testsuites", name="harness fuzz --surface mcp")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_reports(result: RunResult, directory: Path, formats: tuple[str, ...]) -> RunResult:
    """Write ``formats`` (junit, json) for ``result`` under ``directory``; record the paths."""
    if not formats:
        return result
    directory.mkdir(parents=True, exist_ok=True)
    if "junit" in formats:
        path = directory / REPORT_FILE_NAMES["junit"]
        path.write_text(render_junit(result), encoding="utf-8")
        result.reports.append(path)
    if "json" in formats:
        path = directory / JSON_REPORT
        path.write_text(json.dumps(result.as_dict(), indent=2) + "\n", encoding="utf-8")
        result.reports.append(path)
    return result
