"""How the article quotes numbers over seeds, and its computed tables.

Every comparison a verdict rests on is quoted as the mean with the min–max over seeds;
`differs` says whether two sets of seeds are apart (their ranges do not overlap), which
is the article's bar for calling a difference an effect.
"""

from html import escape

import numpy as np


def span(values, fmt: str = "{:.2f}") -> str:
    """'mean (min–max)' of per-seed values, e.g. '51.2 % (49.5–53.7 %)' with fmt '{:.1%}'."""
    v = np.asarray(values, dtype=float).ravel()
    lo, hi = fmt.format(v.min()), fmt.format(v.max())
    unit = " %" if lo.endswith("%") else ""
    strip = lambda s: s.rstrip("%").rstrip() if unit else s  # noqa: E731
    return f"{strip(fmt.format(v.mean()))}{unit} ({strip(lo)}–{strip(hi)}{unit})"


def seeds(values, fmt: str = "{:.2f}") -> str:
    """Every seed's value, 'a / b / c'."""
    return " / ".join(fmt.format(x) for x in np.asarray(values, dtype=float).ravel())


def differs(a, b) -> bool:
    """True when the seed ranges of a and b do not overlap: every seed of one is above
    every seed of the other."""
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    return bool(a.min() > b.max() or b.min() > a.max())


def compare(a, b, higher: str, lower: str, same: str = "level") -> str:
    """A word for a against b: `higher` / `lower` when the seed ranges are apart,
    `same` when they overlap."""
    if not differs(a, b):
        return same
    return higher if np.mean(a) > np.mean(b) else lower


class Table:
    """A computed table: rows of cells, rendered as HTML (the page shows it as a table;
    every cell is escaped)."""

    def __init__(self, columns, rows, caption: str | None = None):
        self.columns, self.rows, self.caption = list(columns), [list(r) for r in rows], caption
        for r in self.rows:
            if len(r) != len(self.columns):
                raise ValueError(f"row {r!r} has {len(r)} cells, expected {len(self.columns)}")

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)

    def _repr_html_(self) -> str:
        cap = f"<caption>{escape(self.caption)}</caption>" if self.caption else ""
        head = "".join(f"<th>{escape(str(c))}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in r) + "</tr>"
                       for r in self.rows)
        return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def __repr__(self) -> str:
        return self.to_frame().to_string(index=False)
