"""What the Atom feed's readers get: the article without the page's furniture (heading
permalinks, per-block provenance lines), math as MathML only, since feed readers
have no KaTeX stylesheet to lay out its HTML rendering, and links within the article
(`#ref-...`, `#fig-...`) made absolute, and no hidden link to a figure's dark rendition: a feed reader resolves a bare fragment against
the feed's own URL, where it leads nowhere."""

from __future__ import annotations

import re

from .text import without_katex_html

PERMALINK = re.compile(r'<a class="headerlink"[^>]*>.*?</a>', re.S)
PROVENANCE = re.compile(r'<p class="cell-provenance"[^>]*>.*?</p>', re.S)
FRAGMENT_LINK = re.compile(r'(\shref=")(#[^"]*")')
# The page's hidden link to a figure's dark full size (a feed shows the light figure).
DARK_LINK = re.compile(r'<a class="figure-zoom-dark"[^>]*></a>')


def clean_for_feed(markup: str | None, page_url: str = "") -> str | None:
    """`page_url`: the entry's own address (the feed's link for it)."""
    if not markup:
        return markup
    markup = without_katex_html(DARK_LINK.sub("", PROVENANCE.sub("", PERMALINK.sub("", markup))))
    if page_url:
        page = page_url.split("#", 1)[0]
        markup = FRAGMENT_LINK.sub(lambda m: m[1] + page + m[2], markup)
    return markup
