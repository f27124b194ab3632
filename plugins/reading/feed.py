"""What the Atom feed's readers get: the article without the page's furniture (heading
permalinks, per-block provenance lines) and math as MathML only, since feed readers
have no KaTeX stylesheet to lay out its HTML rendering."""

from __future__ import annotations

import re

from .text import without_katex_html

PERMALINK = re.compile(r'<a class="headerlink"[^>]*>.*?</a>', re.S)
PROVENANCE = re.compile(r'<p class="cell-provenance"[^>]*>.*?</p>', re.S)


def clean_for_feed(markup: str | None) -> str | None:
    if not markup:
        return markup
    return without_katex_html(PROVENANCE.sub("", PERMALINK.sub("", markup)))
