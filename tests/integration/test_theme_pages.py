"""The built site's own pages (tests/conftest.py builds it from committed results): what the
theme marks up for navigation and listings, read from the HTML."""

import pytest

from support import parse_html

pytestmark = pytest.mark.slow  # builds the site once per session


def nav_links(html: str) -> list[tuple[str, bool]]:
    nav = parse_html(html).find("nav", "site-nav")
    return [(a.text, "aria-current" in a.attrs) for a in nav.find_all("a")]


def test_the_nav_marks_the_current_page(built_site):
    assert ("Archive", True) in nav_links((built_site / "archives.html").read_text())
    assert ("Tags", True) in nav_links((built_site / "tags.html").read_text())
    # The authoring manual is named for what it is, and marked on its own page only.
    assert ("Authoring guide", True) in nav_links((built_site / "pages" / "writing.html").read_text())
    assert [current for _, current in nav_links((built_site / "tags.html").read_text())].count(True) == 1


def test_listings_show_the_updated_date(built_site, article_page):
    article = (built_site / article_page("batchnorm")).read_text()
    modified = parse_html(article).find("meta", property="article:modified_time")
    assert modified, "the BatchNorm article has a Modified date"
    for listing in ("index.html", "archives.html"):
        html = (built_site / listing).read_text()
        assert f'Updated <time datetime="{modified["content"]}">' in html, listing


def test_read_more_links_start_with_their_visible_words(built_site):
    html = (built_site / "index.html").read_text()
    links = [p.elements[0] for p in parse_html(html).find_all("p", "entry-more")]
    assert links
    for link in links:
        assert link.tag == "a" and "aria-label" not in link.attrs  # the name: the visible text plus a hidden title
        assert isinstance(link.children[0], str) and link.children[0] == "Read the article"
        assert link.children[1].matches("span", "visually-hidden")
