"""The built site's own pages (tests/conftest.py builds it from committed results): what the
theme marks up for navigation and listings, read from the HTML."""

import re

import pytest

pytestmark = pytest.mark.slow  # builds the site once per session


def nav_links(html: str) -> list[tuple[str, bool]]:
    nav = re.search(r'<nav class="site-nav".*?</nav>', html, re.S).group(0)
    return [(text, "aria-current" in attrs) for attrs, text in re.findall(r"<a ([^>]*)>([^<]+)</a>", nav)]


def test_the_nav_marks_the_current_page(built_site):
    assert ("Archive", True) in nav_links((built_site / "archives.html").read_text())
    assert ("Tags", True) in nav_links((built_site / "tags.html").read_text())
    # The authoring manual is named for what it is, and marked on its own page only.
    assert ("Authoring guide", True) in nav_links((built_site / "pages" / "writing.html").read_text())
    assert [current for _, current in nav_links((built_site / "tags.html").read_text())].count(True) == 1


def test_listings_show_the_updated_date(built_site, article_page):
    article = (built_site / article_page("batchnorm")).read_text()
    modified = re.search(r'<meta property="article:modified_time" content="([^"]+)"', article)
    assert modified, "the BatchNorm article has a Modified date"
    for listing in ("index.html", "archives.html"):
        html = (built_site / listing).read_text()
        assert f'Updated <time datetime="{modified.group(1)}">' in html, listing


def test_read_more_links_start_with_their_visible_words(built_site):
    html = (built_site / "index.html").read_text()
    links = re.findall(r'<p class="entry-more"><a ([^>]*)>(.*?)</a>', html, re.S)
    assert links
    for attrs, body in links:
        assert "aria-label" not in attrs  # the name is the visible text plus a hidden title
        assert body.startswith("Read the article<span class=\"visually-hidden\">")
