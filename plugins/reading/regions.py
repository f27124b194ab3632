"""Boxes that scroll sideways (code, printed output, tables) become keyboard-reachable,
named regions when the page is built, so a phone reader on a keyboard or a screen
reader can scroll them (axe's `scrollable-region-focusable`), with or without JS."""

from __future__ import annotations

import re

REGION = ' tabindex="0" role="region" aria-label="{}"'
# Pygments' and codehilite's `<div class="highlight"><pre>`: the <pre> is what scrolls.
CODE = re.compile(r'(<div class="highlight"><pre)(?=[ >])(?![^>]*tabindex)')
# Printed output (stdout, stderr, errors, text results): its <pre> scrolls.
OUTPUT_PRE = re.compile(r'(<div class="cell-output [^"]*"[^>]*><pre)(?=[ >])(?![^>]*tabindex)')
# Rich output (an HTML table from a DataFrame): the box itself scrolls.
OUTPUT_BOX = re.compile(r'<div class="cell-output cell-output-display"(?![^>]*tabindex)>(?!<pre)')
# Markdown tables: wrapped in a box that scrolls instead of the page.
TABLE = re.compile(r"(?<!aria-label=\"Table\">)<table>(.*?)</table>", re.S)


def mark_scroll_regions(markup: str) -> str:
    markup = CODE.sub(lambda m: m.group(1) + REGION.format("Code"), markup)
    markup = OUTPUT_PRE.sub(lambda m: m.group(1) + REGION.format("Output"), markup)
    markup = OUTPUT_BOX.sub('<div class="cell-output cell-output-display"' + REGION.format("Output") + ">", markup)
    return TABLE.sub(lambda m: f'<div class="table-scroll"{REGION.format("Table")}><table>{m.group(1)}</table></div>',
                     markup)
