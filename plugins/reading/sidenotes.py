"""Markdown footnotes become sidenotes: each note sits right after its reference, as a
`<span>` the stylesheet floats into the margin on wide screens and shows as a small
inline block on phones (Tufte CSS's layout). A note holding block content (a list,
code) cannot live inside a paragraph: it stays in the footnote list at the end."""

from __future__ import annotations

import re

FOOTNOTES = re.compile(r'<div class="footnote">\s*<hr ?/?>\s*<ol>(?P<items>.*?)</ol>\s*</div>', re.S)
ITEM = re.compile(r'<li id="fn:(?P<id>[^"]+)">\s*(?P<body>.*?)\s*</li>', re.S)
BACKREF = re.compile(r'(&#160;)?<a class="footnote-backref"[^>]*>.*?</a>', re.S)
PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)
BLOCK = re.compile(r"<(?!/?(?:p|a|em|strong|code|span|sup|sub|b|i|br|abbr|kbd|mark|s|small|q|cite|time)\b)[a-z]")
REF = '<sup id="fnref:{id}"><a class="footnote-ref" href="#fn:{id}">{number}</a></sup>'


def _inline_body(body: str) -> str | None:
    """The note as phrasing content (paragraphs joined by <br>), None if it has blocks."""
    body = BACKREF.sub("", body)
    paragraphs = PARAGRAPH.findall(body)
    if not paragraphs or PARAGRAPH.sub("", body).strip() or any(BLOCK.search(p) for p in paragraphs):
        return None
    return "<br>".join(p.strip() for p in paragraphs)


def to_sidenotes(markup: str) -> str:
    found = FOOTNOTES.search(markup)
    if not found:
        return markup
    kept = []
    for item in ITEM.finditer(found["items"]):
        note_id, body = item["id"], _inline_body(item["body"])
        ref = re.compile(re.escape('<sup id="fnref:' + note_id + '"><a class="footnote-ref" href="#fn:'
                                   + note_id + '">') + r"(?P<number>\d+)</a></sup>")
        match = ref.search(markup)
        if body is None or match is None:
            kept.append(item.group(0))
            continue
        number = match["number"]
        anchor = f"sn-{note_id}"
        sidenote = (f'<sup id="fnref:{note_id}"><a class="footnote-ref sidenote-ref" href="#{anchor}">'
                    f'{number}</a></sup><span class="sidenote" id="{anchor}" role="note">'
                    f'<span class="sidenote-number">{number}</span> {body}</span>')
        markup = markup[:match.start()] + sidenote + markup[match.end():]
    found = FOOTNOTES.search(markup)  # positions moved
    rest = ("" if not kept else
            '<div class="footnote">\n<hr>\n<ol>\n' + "\n".join(kept) + "\n</ol>\n</div>")
    return markup[:found.start()] + rest + markup[found.end():]
