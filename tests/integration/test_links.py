"""Link check of the built site (tests/conftest.py): every internal href/src resolves to a
file of the site, and every #fragment names exactly one element of its target page.
Pure Python (html.parser), no browser."""

from __future__ import annotations

from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

# (tag, attribute) pairs that point at another resource.
LINKING = {
    ("a", "href"), ("link", "href"), ("area", "href"), ("img", "src"), ("script", "src"),
    ("source", "src"), ("video", "src"), ("video", "poster"), ("audio", "src"),
    ("iframe", "src"), ("embed", "src"), ("object", "data"), ("track", "src"),
}
SRCSET = {("img", "srcset"), ("source", "srcset")}
EXTERNAL = ("http:", "https:", "mailto:", "tel:", "data:", "javascript:", "//")


class _PageParser(HTMLParser):
    """Collects a page's outgoing links and the fragment targets it defines."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.anchors: set[str] = set()
        self.duplicates: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                if value in self.anchors:
                    self.duplicates.append(value)
                self.anchors.add(value)
            elif (tag, name) in LINKING:
                self.links.append(value.strip())
            elif (tag, name) in SRCSET:
                self.links += [c.split()[0] for c in value.split(",") if c.strip()]


@cache
def _parse(path: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def broken_links(site: Path, page: str) -> list[str]:
    """Every internal link of `page` that does not resolve, with the reason."""
    problems = []
    for link in _parse(site / page).links:
        if not link or link.startswith(EXTERNAL):
            continue
        url = urlsplit(urljoin("/" + page, link))
        target = unquote(url.path)
        if target.endswith("/"):
            target += "index.html"
        file = site / target.lstrip("/")
        if not file.is_file():
            problems.append(f"{link!r}: no file {target}")
        elif url.fragment and file.suffix == ".html":
            if unquote(url.fragment) not in _parse(file).anchors:
                problems.append(f"{link!r}: no id {url.fragment!r} in {target}")
    return problems


def test_internal_links_resolve(built_site, site_page):
    problems = broken_links(built_site, site_page)
    assert not problems, f"{site_page}:\n  " + "\n  ".join(problems)


def test_fragment_targets_are_unique(built_site, site_page):
    duplicates = _parse(built_site / site_page).duplicates
    assert not duplicates, f"{site_page}: ids used more than once: {sorted(set(duplicates))}"


@pytest.mark.parametrize("path", ["favicon.ico", "feeds/all.atom.xml", "sitemap.xml", "404.html"])
def test_site_has_its_fixed_urls(built_site, path):
    assert (built_site / path).is_file(), f"{path} missing from the built site"
