"""The benchmark report: machine facts, a Markdown table per section, and the JSON document."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import orjson

from benchmarks.load import wrk_path
from benchmarks.servers import nginx_path

PACKAGES = ("podcast-harness", "uvicorn", "starlette", "httpx", "httpx-aiohttp", "aiohttp",
            "uvloop", "httptools", "granian", "httpx2", "orjson", "openai", "vcrpy",
            "schemathesis", "pyyaml", "jsonschema")  # fmt: skip


def machine_info() -> dict[str, Any]:
    """Cores, CPU, Python, OS, package versions, load average and date of this run."""
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "wrk": _wrk_version(),
        "nginx": _nginx_version(),
        "packages": versions,
    }


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _wrk_version() -> str | None:
    path = wrk_path()
    if path is None:
        return None
    completed = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    first = (completed.stdout or completed.stderr).splitlines()
    return first[0].strip() if first else None


def _nginx_version() -> str | None:
    path = nginx_path()
    if path is None:
        return None
    completed = subprocess.run([path, "-v"], capture_output=True, text=True, check=False)
    first = (completed.stderr or completed.stdout).splitlines()
    return first[0].split(":", 1)[-1].strip() if first else None


def write(document: dict[str, Any], markdown: str, directory: Path) -> tuple[Path, Path]:
    """Write ``latest.json`` and ``latest.md`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path, md_path = directory / "latest.json", directory / "latest.md"
    json_path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    md_path.write_text(markdown, encoding="utf-8")
    return json_path, md_path


def render(document: dict[str, Any]) -> str:
    """The whole report as Markdown: the command, the machine, then one table per section."""
    machine = document["machine"]
    lines = [
        "# Benchmarks",
        "",
        f"`{document['command']}` on {machine['date']}: {machine['cpu_count']} cores "
        f"({machine['cpu_model']}), Python {machine['python']}, "
        f"load average at start {', '.join(map(str, machine['load_average_at_start']))}.",
        "",
    ]
    sections = document["sections"]
    if "proxy" in sections:
        lines += _proxy_section(sections["proxy"])
    if "candidates" in sections:
        lines += _candidates_section(sections["candidates"])
    if "eval" in sections:
        lines += _eval_section(sections["eval"])
    if "replay" in sections:
        lines += _replay_section(sections["replay"])
    if "scoring" in sections:
        lines += _scoring_section(sections["scoring"])
    if "fuzz" in sections:
        lines += _fuzz_section(sections["fuzz"])
    return "\n".join(lines) + "\n"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def _results_table(section: dict[str, Any]) -> list[str]:
    results = [
        result for by_profile in section["results"].values() for result in by_profile.values()
    ]
    rounded = any(result.get("round_p50s_ms") for result in results)
    rows = []
    for profile in section["profiles"]:
        for target, by_profile in section["results"].items():
            result = by_profile[profile["name"]]
            rows.append([
                profile["name"], target, result["connections"], result["duration_s"],
                result["requests"], result["errors"], result["requests_per_s"],
                result["p50_ms"], result["p99_ms"],
            ])  # fmt: skip
            if rounded:
                rows[-1].append(" / ".join(map(str, result.get("round_p50s_ms", ()))))
    header = ["profile", "target", "conns", "s", "requests", "errors", "req/s", "p50 ms", "p99 ms"]
    return _table([*header, "p50 ms per round"] if rounded else header, rows)


def _rounds_note(profiles: list[dict[str, Any]]) -> list[str]:
    rounded = [p for p in profiles if p.get("rounds", 1) > 1]
    return [
        f"The {p['name']} profile ran {p['rounds']} rounds of {p['duration_s']} s, every target "
        "in turn each round, all of them running; a row is the round with the median p50."
        for p in rounded
    ]


def _pct(value: float) -> str:
    return f"{value:.1%}"


def _proxy_section(proxy: dict[str, Any]) -> list[str]:
    lines = [
        "## Proxy against its limit and its peers",
        "",
        f"Load generator: {proxy['generator']}. `upstream` is the stand-in alone (the limit), "
        "`mock` is `harness mock` alone; `nginx` (when installed) and `aiohttp` (a minimal "
        "aiohttp reverse proxy) forward `/search` to the stand-in; `proxy` serves "
        "`search_podcasts` (auth on) in front of the stand-in, `proxy-mock` in front of the mock.",
        *_rounds_note(proxy["profiles"]),
        "",
    ]
    lines += _results_table(proxy)
    rows = []
    for name, c in proxy["comparison"].items():
        rows.append([
            name,
            _pct(c["proxy_vs_upstream_throughput"]),
            _pct(c["proxy_vs_mock_throughput"]),
            _pct(c["proxy_vs_nginx_throughput"]) if "proxy_vs_nginx_throughput" in c else "n/a",
            _pct(c["proxy_vs_aiohttp_throughput"]),
            f"{c['proxy_vs_nginx_p50']}x / {c['proxy_vs_nginx_p99']}x"
            if "proxy_vs_nginx_p99" in c else "n/a",
            f"{c['proxy_vs_aiohttp_p50']}x / {c['proxy_vs_aiohttp_p99']}x",
            c["added_p50_ms"],
            c["added_p50_ms_vs_mock"],
        ])  # fmt: skip
    lines += _table(
        ["profile", "proxy / upstream req/s", "proxy-mock / mock req/s", "proxy / nginx req/s",
         "proxy / aiohttp req/s", "p50 / p99 vs nginx", "p50 / p99 vs aiohttp",
         "p50 added ms (vs upstream)", "p50 added ms (vs mock)"],
        rows,
    )  # fmt: skip
    work = proxy.get("own_work_us")
    latency = proxy["comparison"].get("latency")
    if work and latency:
        share = work["total"] / 1000 / latency["added_p50_ms"] if latency["added_p50_ms"] else 0
        lines += [
            "",
            f"The proxy's own work per call, in process (µs, best of 5): validate "
            f"{work['validate']}, decode {work['decode']}, project {work['project']}, encode "
            f"{work['encode']}; {work['total']} in all, {share:.0%} of the p50 it adds at one "
            "connection (the rest is the server stack and the upstream hop).",
            "",
        ]
    return lines


def _candidates_section(section: dict[str, Any]) -> list[str]:
    lines = [
        "## Client and server candidates",
        "",
        f"Load generator: {section['generator']}. Bare pass-throughs (Starlette under uvicorn's "
        "defaults, one client each) and the proxy per client and server, all in front of the "
        "stand-in; ratios are to the stand-in alone in this run.",
        "",
    ]
    lines += _results_table(section)
    names = list(next(iter(section["comparison"].values())))
    rows = [
        [name]
        + [
            f"{_pct(section['comparison'][p['name']][name]['throughput_vs_upstream'])}, "
            f"+{section['comparison'][p['name']][name]['added_p50_ms']} ms"
            for p in section["profiles"]
        ]
        for name in names
    ]
    header = ["target"] + [
        f"{p['name']} ({p['connections']} conns): req/s vs upstream, p50 added"
        for p in section["profiles"]
    ]
    return lines + _table(header, rows)


def _eval_section(section: dict[str, Any]) -> list[str]:
    lines = [
        "## Eval throughput",
        "",
        f"{section['cases']} cases, model stub sleeping {section['latency_s']} s per call, "
        "`--record all` into fresh cassettes; wall time of the runner (reports separately). "
        "Limit: ceil(cases / concurrency) waves of one call each; even: cases x latency / "
        "concurrency.",
        "",
    ]
    rows = [
        [run["concurrency"], run["wall_s"], run["limit_s"], f"{run['over_limit_pct']}%",
         run["even_s"], f"{run['over_even_pct']}%", run["cases_per_s"], run["with_reports_s"]]
        for run in section["runs"]
    ]  # fmt: skip
    header = ["concurrency", "wall s", "limit s", "over limit", "even s", "over even", "cases/s"]
    return lines + _table([*header, "with reports s"], rows)


def _replay_section(section: dict[str, Any]) -> list[str]:
    lines = [
        "## Replay from cassettes",
        "",
        "`harness eval --record none` as a subprocess, start to exit (loading, replay, "
        "scoring, every report file); peak RSS of that process.",
        "",
    ]
    rows = [
        [run["cases"], run["wall_s"], run["cases_per_s"], run["ms_per_case"], run["peak_rss_mib"]]
        for run in section["runs"]
    ]
    lines += _table(["cases", "wall s", "cases/s", "ms/case", "peak RSS MiB"], rows)
    fit = section.get("fit")
    if fit:
        lines += [
            f"Linear fit: wall = {fit['fixed_s']} s + {fit['per_case_ms']} ms x cases "
            f"(R² = {fit['r_squared']}).",
            "",
        ]
    startup = section.get("startup")
    if startup:
        lines += [
            f"Fixed cost: a 1-case replay takes {startup['one_case_wall_s']} s start to exit, "
            f"{startup['one_case_without_optional_s']} s without pyarrow (the Quick start's "
            "install: no Parquet file); importing what `harness eval` imports takes "
            f"{startup['import_s']} s (each the best of 3).",
            "",
        ]
    return lines


def _scoring_section(section: dict[str, Any]) -> list[str]:
    lines = [
        "## Scoring",
        "",
        f"`score_case` over {section['pairs']} generated (case, calls) pairs of the committed "
        "suite; best of a few rounds in one process, the median of "
        f"{len(section['processes'])} fresh processes.",
        "",
    ]
    rows = [
        ["harness, with the spec", section["pairs"], section["harness_pairs_per_s"]],
        ["harness, without the spec", section["pairs"], section["harness_no_spec_pairs_per_s"]],
    ]
    bfcl = section.get("bfcl")
    if bfcl:
        ratio = bfcl["harness_pairs_per_s"] / bfcl["pairs_per_s"]
        rows += [
            [f"BFCL ast_checker {bfcl['version']}", bfcl["pairs"], bfcl["pairs_per_s"]],
            [
                "harness on the same pairs, with the spec",
                bfcl["pairs"],
                bfcl["harness_pairs_per_s"],
            ],
        ]
        ratios = ", ".join(
            f"{run['harness_on_bfcl_pairs_per_s'] / run['bfcl_pairs_per_s']:.0%}"
            for run in section["processes"]
        )
        note = (
            f"Harness / BFCL on the pairs BFCL can express: {ratio:.0%} (each process: {ratios}); "
            "same pass/fail on "
            f"{bfcl['agreement_pct']}% of them (the harness accepts a restated default and a "
            "numeric string the proxy reads as a number; it refuses a value the proxy refuses "
            "that BFCL's normalisation accepts, such as ' US.' for a two-letter region)."
        )
    else:
        note = "BFCL's checker not installed (`pip install --no-deps bfcl-eval` to compare)."
    return [*lines, *_table(["scorer", "pairs", "pairs/s"], rows), note, ""]


def _fuzz_section(section: dict[str, Any]) -> list[str]:
    lines = [
        "## Fuzz",
        "",
        f"In-process contract run, phases {', '.join(section['phases'])}, every check, "
        f"seed {section['seed']}.",
        "",
    ]
    row = [section["max_examples"], section["examples"], section["checks"], section["failures"],
           section["wall_s"], section["examples_per_s"]]  # fmt: skip
    return lines + _table(
        ["max examples", "examples", "checks", "failures", "wall s", "examples/s"], [row]
    )
