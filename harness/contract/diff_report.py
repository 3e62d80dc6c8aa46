"""How `harness diff` shows its result: a table for people, JSON for CI, Markdown for PRs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from harness.contract.changes import Change


@dataclass(frozen=True)
class DiffReport:
    """The changes between two versions and how to show them."""

    changes: list[Change]
    old: str
    new: str
    suite: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def breaking(self) -> list[Change]:
        """The breaking changes (any one fails the gate)."""
        return [c for c in self.changes if c.breaking]

    @property
    def rerun_cases(self) -> list[str]:
        """Every suite case a prompt-affecting change touches, each once, in first-seen order."""
        return list(dict.fromkeys(case for c in self.changes for case in c.cases))

    def counts(self) -> dict[str, int]:
        """Number of breaking, non-breaking and prompt-affecting changes."""
        return {
            "breaking": len(self.breaking),
            "non_breaking": len(self.changes) - len(self.breaking),
            "prompt_affecting": sum(c.prompt_affecting for c in self.changes),
        }

    def summary(self) -> str:
        """One line: counts and the cases to re-run."""
        counts = self.counts()
        return (
            f"{len(self.changes)} change(s): {counts['breaking']} breaking, "
            f"{counts['non_breaking']} non-breaking, "
            f"{counts['prompt_affecting']} prompt-affecting; "
            f"{len(self.rerun_cases)} suite case(s) to re-run"
        )

    def to_json(self) -> str:
        """The report as JSON, for CI and for `harness eval --case` selection."""
        return json.dumps(
            {
                "old": self.old,
                "new": self.new,
                "suite": self.suite,
                "counts": self.counts(),
                "changes": [c.to_dict() for c in self.changes],
                "rerun_cases": self.rerun_cases,
                "notes": self.notes,
            },
            indent=2,
        )

    def _rows(self) -> list[tuple[str, str, str, str, str]]:
        return [
            (c.classes, c.operation or c.document, c.code, c.message, _location(c))
            for c in self.changes
        ]

    def to_text(self) -> str:
        """A fixed-width table for people, then the summary and the cases to re-run."""
        if not self.changes:
            return "\n".join([*self.notes, "no changes"]) + "\n"
        header = ("class", "operation", "change", "detail", "where")
        rows = [header, *self._rows()]
        widths = [min(max(len(row[i]) for row in rows), 60) for i in range(4)]
        lines = [
            "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4]
            for row in rows
        ]
        lines += [*self.notes, self.summary()]
        if self.rerun_cases:
            lines.append("re-run: " + " ".join(self.rerun_cases))
        return "\n".join(lines) + "\n"

    def to_markdown(self) -> str:
        """A pull-request comment: counts, then one table per class."""
        lines = [f"### Spec diff: `{self.old}` → `{self.new}`", "", self.summary(), ""]
        sections = (
            ("Breaking changes", [c for c in self.changes if c.breaking]),
            ("Prompt-affecting changes", [c for c in self.changes if c.prompt_affecting]),
            (
                "Non-breaking changes",
                [c for c in self.changes if not c.breaking and not c.prompt_affecting],
            ),
        )
        for title, changes in sections:
            if not changes:
                continue
            lines += [f"#### {title}", "", "| operation | change | detail | where | cases |"]
            lines.append("|---|---|---|---|---|")
            for c in changes:
                cases = ", ".join(f"`{case}`" for case in c.cases) or "–"
                cells = (
                    c.operation or c.document,
                    f"`{c.code}`",
                    c.message,
                    f"`{_location(c)}`",
                    cases,
                )
                lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
            lines.append("")
        if self.rerun_cases:
            lines += [
                "Re-run: `harness eval " + " ".join(f"--case {c}" for c in self.rerun_cases) + "`",
                "",
            ]
        lines += [f"_{note}_" for note in self.notes]
        return "\n".join(lines).rstrip() + "\n"


def _location(change: Change) -> str:
    return f"{change.side}:{change.document}#{change.pointer}"
