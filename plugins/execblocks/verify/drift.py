"""The drift table: what moved, by how much, which verdicts changed; one summary line."""

from __future__ import annotations

from execblocks.verify.compare import Comparison, Drift
from execblocks.verify.tolerance import Tolerances

WIDTH = 46  # a value's text is cut to this in the table (the record keeps nothing cut)
HEADER = ("", "what", "stored", "rerun", "change")
NAMES = {"value": "inline values", "verdict": "verdict words", "cell": "table cells",
         "line": "printed lines", "figure": "figures"}


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= WIDTH else text[:WIDTH - 1] + "…"


def _mark(drift: Drift) -> str:
    if not drift.beyond:
        return "ok"
    return "FLIP" if drift.change == "flipped" else "DRIFT"


def table(comparison: Comparison) -> str:
    """Every item that moved; "ok" ones are within tolerance, DRIFT and FLIP fail."""
    moved = comparison.moved
    if not moved:
        return "  nothing moved: every value, line, table cell and figure is identical"
    rows = [HEADER]
    for drift in moved:
        stored = "-" if drift.change == "only in rerun" else (
            "(figure)" if drift.kind == "figure" else _cut(drift.item.text))
        if drift.kind == "figure":  # the last column is not cut: the figure's whole account
            rows.append((_mark(drift), drift.item.label, stored, "(figure)", f"{drift.change}: {drift.fresh}"))
        else:
            rows.append((_mark(drift), drift.item.label, stored, _cut(drift.fresh), drift.change))
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
    lines = ["  " + "  ".join(f"{cell:<{w}}" for cell, w in zip(row, widths)) + "  " + row[-1] for row in rows]
    lines.insert(1, "  " + "  ".join("-" * w for w in widths) + "  ------")
    return "\n".join(lines)


def summary(article: str, how: str, device: str, comparison: Comparison, tolerances: Tolerances) -> str:
    parts = []
    for kind, name in NAMES.items():
        inside, identical, total = comparison.count(kind)
        if total:
            parts.append(f"{name} {inside}/{total} within ({identical} identical)")
    tolerance = tolerances.article
    verdict = "PASSED" if comparison.passed else "FAILED"
    return (f"verify: {article} ({how}, {device}): {verdict}: " + "; ".join(parts)
            + f" [numbers within {tolerance.describe()}, figures within {tolerance.figure:.1%} of pixels]")
