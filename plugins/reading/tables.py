"""Table cells that hold only numbers (`0.14 (0.14–0.14)`, `30.4 %`, `-1.06 / -0.00 / +1.06`,
`4.5e+08`) get `class="num"`, and the stylesheet never breaks a number over lines: a number
split at its sign, its `e+08` or its `%` is misread. A cell of several numbers may still
break between them, before a bracketed range or after a `/`, where a reader sees the break
for what it is; each piece is a `<span class="nb">` that stays whole. Text cells wrap."""

from __future__ import annotations

import re

# A cell without attributes whose text is digits with the marks numbers come with.
CELL = re.compile(r"<td>([^<]*)</td>")
NUMBER_TEXT = re.compile(r"[\d\s.,:;/()\[\]+\-−–—%×·≈~<>=±eE^]*\d[\d\s.,:;/()\[\]+\-−–—%×·≈~<>=±eE^]*")
# Where a cell of numbers may break: before "(" (a range) and after "/" (a list).
BREAK = re.compile(r"\s+(?=[(\[])|(?<=/)\s+")


def mark_numeric_cells(markup: str) -> str:
    if "<td>" not in markup:
        return markup
    return CELL.sub(_cell, markup)


def _cell(m: re.Match) -> str:
    text = m[1].strip()
    if not NUMBER_TEXT.fullmatch(text):
        return m[0]
    pieces = [p for p in BREAK.split(text) if p]
    if len(pieces) == 1:
        return f'<td class="num">{m[1]}</td>'
    return '<td class="num">' + " ".join(f'<span class="nb">{p}</span>' for p in pieces) + "</td>"
