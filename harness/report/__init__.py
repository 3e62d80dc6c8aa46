"""Reports of eval runs: aggregation, baseline comparison, writers and the gate."""

from harness.report.compare import Comparison, compare_runs
from harness.report.config import ConfigError, GateConfig
from harness.report.gate import GateResult, evaluate_gate, gate_loaded
from harness.report.load import ReportError, Run, load_run
from harness.report.write import write_reports, write_run_reports

__all__ = [
    "Comparison",
    "ConfigError",
    "GateConfig",
    "GateResult",
    "ReportError",
    "Run",
    "compare_runs",
    "evaluate_gate",
    "gate_loaded",
    "load_run",
    "write_reports",
    "write_run_reports",
]
