"""Print harness's package dependency graph: one line per package, the packages it imports.

Run from the repository root with the test extras installed: ``python .ci/depgraph.py``
(``--modules`` adds the importing modules of each edge). The direction is checked by
``lint-imports`` (contracts in pyproject.toml).
"""

from __future__ import annotations

import sys
from collections import defaultdict

import grimp


def package_of(module: str) -> str:
    """``harness.eval.runner`` -> ``eval``; a top-level module is its own package."""
    return module.split(".")[1] if "." in module else module


def main(argv: list[str]) -> None:
    graph = grimp.build_graph("harness", cache_dir=None)
    edges: dict[str, set[str]] = defaultdict(set)
    importers: dict[tuple[str, str], set[str]] = defaultdict(set)
    for module in sorted(graph.modules):
        source = package_of(module)
        for imported in graph.find_modules_directly_imported_by(module):
            target = package_of(imported)
            if target != source:
                edges[source].add(target)
                importers[source, target].add(module)
    for source in sorted({package_of(module) for module in graph.modules} - {"harness"}):
        print(f"{source:18} -> {', '.join(sorted(edges[source])) or '(nothing)'}")
    if "--modules" in argv:
        for (source, target), modules in sorted(importers.items()):
            print(f"{source} -> {target}: {', '.join(sorted(modules))}")


if __name__ == "__main__":
    main(sys.argv[1:])
