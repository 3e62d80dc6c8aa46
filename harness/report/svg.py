"""Small inline SVG charts for the HTML report (no JavaScript, no external assets)."""

from __future__ import annotations

from html import escape

from harness.report.numbers import histogram as bin_counts

BAR_HEIGHT = 18
BAR_GAP = 6
LABEL_WIDTH = 210
PLOT_WIDTH = 360
PASS_COLOUR = "#2f855a"
FAIL_COLOUR = "#e2e8f0"
ACCENT = "#2b6cb0"


def rate_bars(rows: list[dict]) -> str:
    """Horizontal pass-rate bars with 95% CI whiskers; rows have label, rate, ci_low, ci_high."""
    height = len(rows) * (BAR_HEIGHT + BAR_GAP) + 30
    width = LABEL_WIDTH + PLOT_WIDTH + 60
    parts = [_open(width, height, "Pass rate per operation with 95% confidence intervals")]
    for tick in (0, 0.25, 0.5, 0.75, 1):
        x = LABEL_WIDTH + tick * PLOT_WIDTH
        parts.append(
            f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 20}" stroke="#cbd5e0"/>'
        )
        parts.append(f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle">{tick:.0%}</text>')
    for index, row in enumerate(rows):
        y = index * (BAR_HEIGHT + BAR_GAP) + 4
        middle = y + BAR_HEIGHT / 2
        rate = row["rate"] or 0.0
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{middle + 4:.1f}" text-anchor="end">'
            f"{escape(str(row['label']))}</text>"
        )
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{PLOT_WIDTH}" height="{BAR_HEIGHT}" '
            f'fill="{FAIL_COLOUR}"/>'
        )
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{rate * PLOT_WIDTH:.1f}" '
            f'height="{BAR_HEIGHT}" fill="{PASS_COLOUR}"><title>{rate:.1%}</title></rect>'
        )
        if row["ci_low"] is not None:
            low = LABEL_WIDTH + row["ci_low"] * PLOT_WIDTH
            high = LABEL_WIDTH + row["ci_high"] * PLOT_WIDTH
            parts.append(
                f'<line x1="{low:.1f}" y1="{middle:.1f}" x2="{high:.1f}" y2="{middle:.1f}" '
                f'stroke="#1a202c" stroke-width="1.5"/>'
            )
            for x in (low, high):
                parts.append(
                    f'<line x1="{x:.1f}" y1="{y + 4}" x2="{x:.1f}" y2="{y + BAR_HEIGHT - 4}" '
                    f'stroke="#1a202c" stroke-width="1.5"/>'
                )
        parts.append(
            f'<text x="{LABEL_WIDTH + PLOT_WIDTH + 8}" y="{middle + 4:.1f}">{rate:.0%}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def histogram(values: list[float], title: str, unit: str = "s", bins: int = 12) -> str:
    """A histogram of ``values`` (e.g. latency per row); empty string when there are none."""
    if not values:
        return ""
    counts, edges = bin_counts(values, bins)
    width, height, bottom, left, right = 540, 200, 30, 36, 30
    plot_height = height - bottom - 10
    bar_width = (width - left - right) / len(counts)
    top = max(max(counts), 1)
    parts = [_open(width, height, title)]
    parts.append(f'<text x="4" y="14">{top}</text><text x="4" y="{height - bottom}">0</text>')
    for index, count in enumerate(counts):
        bar_height = count / top * plot_height
        x = left + index * bar_width
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{height - bottom - bar_height:.1f}" '
            f'width="{bar_width - 2:.1f}" height="{bar_height:.1f}" fill="{ACCENT}">'
            f"<title>{edges[index]:.2f}–{edges[index + 1]:.2f}{unit}: {count}</title></rect>"
        )
    for index in (0, len(counts) // 2, len(counts)):
        x = left + index * bar_width
        parts.append(
            f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">'
            f"{edges[index]:.2f}{unit}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _open(width: float, height: float, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" font-size="12" '
        f'font-family="system-ui, sans-serif"><title>{escape(title)}</title>'
    )
