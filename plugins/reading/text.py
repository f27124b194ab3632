"""Text views of rendered HTML: without KaTeX's visual layer (for feeds) or as plain text
with math as TeX (for <meta> descriptions, where tags are stripped)."""

from __future__ import annotations

import re

SPAN = re.compile(r"<span\b|</span>")
TEX = re.compile(r'<math\b.*?<annotation encoding="application/x-tex">(.*?)</annotation>.*?</math>', re.S)
FOOTNOTE_REF = re.compile(r'<sup id="fnref:[^"]*">.*?</sup>', re.S)
TAG = re.compile(r"<[^>]+>")
SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S | re.I)


def drop_spans(markup: str, opening: str) -> str:
    """Remove every <span> element whose start tag is exactly `opening`, nested spans included."""
    out, position = [], 0
    while (start := markup.find(opening, position)) >= 0:
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


def without_katex_html(markup: str) -> str:
    """KaTeX's visual rendering removed; its <math> twin stays."""
    return drop_spans(markup, '<span class="katex-html" aria-hidden="true">')


def plain_text(markup) -> str:
    """Tags stripped (as Jinja's striptags), formulas as their TeX, sidenotes and scripts (a
    chart's spec, a widget's state: data, not text) left out."""
    from markupsafe import Markup

    markup = SCRIPT.sub(" ", without_katex_html(str(markup or "")))
    for opening in set(re.findall(r'<span class="sidenote" id="[^"]*" role="note">', markup)):
        markup = drop_spans(markup, opening)
    markup = TEX.sub(lambda m: m.group(1), FOOTNOTE_REF.sub("", markup))
    return Markup(markup).striptags()
