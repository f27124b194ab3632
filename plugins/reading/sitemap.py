"""sitemap.xml whose `lastmod` says when the content changed, not when the site was
built: an article's Modified (else Date); a list page's newest article; a page
without a date has no lastmod (the field is optional in the sitemaps protocol).
Two builds of the same content therefore write the same sitemap."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class SitemapEntry:
    url: str  # relative to the site root
    lastmod: datetime | None


def changed(item) -> datetime | None:
    return getattr(item, "modified", None) or getattr(item, "date", None)


def entry_for(path: str, context: dict, output_path: str) -> SitemapEntry | None:
    """The sitemap line for one written file (None for what is not a public HTML page)."""
    if not path.endswith(".html"):
        return None
    item = context.get("article") or context.get("page")
    if item is not None:
        if getattr(item, "status", "published") != "published":
            return None
        return SitemapEntry(item.url, changed(item))
    url = os.path.relpath(path, output_path).replace(os.sep, "/")
    dates = [d for d in map(changed, context.get("articles") or []) if d is not None]
    return SitemapEntry(url, max(dates) if dates else None)


def render(entries: list[SitemapEntry], siteurl: str, exclude: list[str]) -> str:
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    seen = set()
    for entry in sorted(entries, key=lambda e: e.url):
        url = re.sub(r"(?:^|(?<=/))index\.html$", "", entry.url)
        if url in seen or any(re.search(pattern, entry.url) for pattern in exclude):
            continue
        seen.add(url)
        lastmod = f"<lastmod>{entry.lastmod.isoformat()}</lastmod>" if entry.lastmod else ""
        lines.append(f"<url><loc>{escape(siteurl.rstrip('/') + '/' + url)}</loc>{lastmod}</url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"
