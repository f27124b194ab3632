"""Boxes that scroll sideways (code, printed output, tables) become keyboard-reachable,
named regions when the page is built, so a phone reader on a keyboard or a screen
reader can scroll them (axe's `scrollable-region-focusable`), with or without JS.
Regions are landmarks: names a document repeats ("Code", "Output") are numbered in
reading order ("Code 1", "Code 2"), so each can be told apart (axe's `landmark-unique`)."""

from __future__ import annotations

import re

REGION = ' tabindex="0" role="region" aria-label="{}"'
# Pygments' and codehilite's `<div class="highlight"><pre>`: the <pre> is what scrolls.
CODE = re.compile(r'(<div class="highlight"><pre)(?=[ >])(?![^>]*tabindex)')
# Printed output (stdout, stderr, errors, text results): its <pre> scrolls.
OUTPUT_PRE = re.compile(r'(<div class="cell-output [^"]*"[^>]*><pre)(?=[ >])(?![^>]*tabindex)')
# Rich output other than a table (a table gets its own box below): the box itself scrolls.
OUTPUT_BOX = re.compile(r'<div class="cell-output cell-output-display"(?![^>]*tabindex)>(?!<pre|<table\b|<div class="table-scroll")')
# Tables (Markdown's, a block's, captioned or not): wrapped in a box that scrolls instead of the page.
TABLE = re.compile(r"(?<!aria-label=\"Table\">)<table\b([^>]*)>(.*?)</table>", re.S)
NAMED = re.compile(r'( role="region" aria-label=")([^"]+)(")')


def mark_scroll_regions(markup: str) -> str:
    markup = CODE.sub(lambda m: m.group(1) + REGION.format("Code"), markup)
    markup = OUTPUT_PRE.sub(lambda m: m.group(1) + REGION.format("Output"), markup)
    markup = OUTPUT_BOX.sub('<div class="cell-output cell-output-display"' + REGION.format("Output") + ">", markup)
    return TABLE.sub(lambda m: f'<div class="table-scroll"{REGION.format("Table")}><table{m[1]}>{m[2]}</table></div>',
                     markup)


def number_regions(markup: str) -> str:
    """Every name the document gives more than one region gets its number in reading order."""
    counts: dict[str, int] = {}
    for m in NAMED.finditer(markup):
        counts[m[2]] = counts.get(m[2], 0) + 1
    seen: dict[str, int] = {}

    def numbered(m: re.Match) -> str:
        if counts[m[2]] < 2:
            return m[0]
        seen[m[2]] = seen.get(m[2], 0) + 1
        return f"{m[1]}{m[2]} {seen[m[2]]}{m[3]}"

    return NAMED.sub(numbered, markup)
