"""The table of contents of an article: its h2/h3 headings (ids from Markdown's toc
extension). The page's title is its only h1, so an article whose sections start at
`###` has its headings raised to start at h2 (no h1 -> h3 jump for screen readers)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

# Any attributes before the id: the References heading is `<h2 class="unnumbered" id=...>`.
HEADING = re.compile(r'<h(?P<level>[2-6])\b[^>]*?\sid="(?P<id>[^"]+)"[^>]*>(?P<body>.*?)</h(?P=level)>', re.S)
PERMALINK = re.compile(r'<a class="headerlink"[^>]*>.*?</a>', re.S)
TAG = re.compile(r"<[^>]+>")
# An article gets a table of contents from this many headings on.
MIN_ENTRIES = 3


@dataclass(frozen=True)
class TocEntry:
    level: int  # 2 or 3
    anchor: str  # the heading's id
    title: str  # plain text (escaped again by the template)


@dataclass(frozen=True)
class Outline:
    entries: list[TocEntry]
    top_level: int  # the highest heading level the body uses (2 when it has none)

    @property
    def show_toc(self) -> bool:
        return len(self.entries) >= MIN_ENTRIES


ANY_HEADING = re.compile(r"<(/?)h([1-6])\b")


def raise_headings(markup: str) -> str:
    """Shift every heading up so the highest in the body is an h2 (an h1 stays an h1)."""
    levels = [int(m[2]) for m in ANY_HEADING.finditer(markup) if not m[1]]
    shift = min(levels, default=2) - 2
    if shift <= 0:
        return markup
    return ANY_HEADING.sub(lambda m: f"<{m[1]}h{int(m[2]) - shift}", markup)


def outline(markup: str) -> Outline:
    headings = [(int(m["level"]), html.unescape(m["id"]), m["body"]) for m in HEADING.finditer(markup)]
    top = min((level for level, _, _ in headings), default=2)
    entries = [TocEntry(level - top + 2, anchor, html.unescape(TAG.sub("", PERMALINK.sub("", body))).strip())
               for level, anchor, body in headings if level <= top + 1]
    return Outline(entries, top)
