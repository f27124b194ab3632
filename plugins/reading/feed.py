"""What the Atom feed's readers get: the article without the page's furniture (heading
permalinks, per-block provenance lines) and math as MathML only, since feed readers
have no KaTeX stylesheet to lay out its HTML rendering."""

from __future__ import annotations

import re

PERMALINK = re.compile(r'<a class="headerlink"[^>]*>.*?</a>', re.S)
PROVENANCE = re.compile(r'<p class="cell-provenance"[^>]*>.*?</p>', re.S)
KATEX_HTML = '<span class="katex-html" aria-hidden="true">'
SPAN = re.compile(r"<span\b|</span>")


def _drop_katex_html(markup: str) -> str:
    """Remove KaTeX's visual rendering (nested spans), keeping its <math> twin."""
    out, position = [], 0
    while (start := markup.find(KATEX_HTML, position)) >= 0:
        out.append(markup[position:start])
        depth, cursor = 0, start
        for tag in SPAN.finditer(markup, start):
            depth += 1 if tag.group(0) == "<span" else -1
            cursor = tag.end()
            if depth == 0:
                break
        position = cursor
    out.append(markup[position:])
    return "".join(out)


def clean_for_feed(markup: str | None) -> str | None:
    if not markup:
        return markup
    return _drop_katex_html(PROVENANCE.sub("", PERMALINK.sub("", markup)))
