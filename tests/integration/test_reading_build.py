"""plugins/reading on small fixture sites built with the real Pelican and this theme:
math rendered at build time (and a bad formula located), sidenotes, the feed, the
sitemap's lastmod, and two forced builds that write byte-identical pages."""

from __future__ import annotations

import os
import subprocess
import sys
from xml.etree import ElementTree

import pytest

from support import REPO, parse_html, reading_settings

pytestmark = pytest.mark.slow  # every test here builds a site

PROSE = """\
Title: Notes
Date: 2026-01-01 10:00
Modified: 2026-03-04 09:30
Slug: notes

The area is $\\pi r^2$, as everyone knows.[^area]

$$
\\sum_{i=1}^{n} x_i^2
$$

## First

Text.

## Second

Text.

### Second, detail

Text.

[^area]: Archimedes, *Measurement of a Circle*.
"""


@pytest.fixture
def prose(project):
    project.write("content/notes.md", PROSE)
    (project.content / "hello.md").unlink()  # no kernels: this site has no executable block
    return project


def test_math_is_html_when_the_site_is_built(prose):
    prose.build(**reading_settings())
    page = prose.html("notes")
    assert page.count('class="katex"') == 2 and "katex-display" in page
    body = page[page.index('<div class="post-body"'):]
    assert "\\(" not in body and "$$" not in body and "\\pi" not in body.split("<annotation")[0]
    # <meta> descriptions: the formula as TeX, not KaTeX's glyphs; no sidenote text.
    assert '<meta name="description" content="The area is \\pi r^2, as everyone knows.' in page
    assert "katex.min.css" in page and "katex.min.js" not in page
    assert '<div class="arithmatex" tabindex="0" role="region" aria-label="Equation">' in page


def test_footnotes_become_sidenotes_and_the_toc_lists_sections(prose):
    prose.build(**reading_settings())
    page = prose.html("notes")
    note = parse_html(page).find("span", id="sn-area")
    assert note.matches(cls="sidenote", role="note") and note.elements[0].matches("span", "sidenote-number")
    assert note.elements[0].text == "1" and note.text == "1 Archimedes, Measurement of a Circle."
    assert note.elements[1].tag == "em" and note.elements[1].text == "Measurement of a Circle"
    assert 'class="footnote"' not in page
    toc = parse_html(page).find("nav", "toc", aria_label="Contents")
    entries = [e for e in toc.iter() if e.attrs.get("class", "").startswith("toc-level-")]
    assert [(e["class"], e.elements[0]["href"]) for e in entries] == [
        ("toc-level-2", "#first"), ("toc-level-2", "#second"), ("toc-level-3", "#second-detail")]


def test_feed_has_math_without_page_furniture(prose):
    prose.build(**reading_settings())
    feed = (prose.output / "feeds" / "all.atom.xml").read_text()
    assert "&lt;math" in feed  # MathML, escaped inside the Atom <content>
    assert "katex-html" not in feed and "headerlink" not in feed


def test_sitemap_lastmod_is_the_articles_modified_date(prose):
    prose.build(**reading_settings())
    sitemap = (prose.output / "sitemap.xml").read_text()
    assert "<url><loc>/notes.html</loc><lastmod>2026-03-04T09:30:00+00:00</lastmod></url>" in sitemap
    # List pages: their newest article; nothing in the sitemap is the build's time.
    assert "<url><loc>/archives.html</loc><lastmod>2026-03-04T09:30:00+00:00</lastmod></url>" in sitemap
    lastmods = {e.text for e in ElementTree.fromstring(sitemap).iter() if e.tag.endswith("}lastmod")}
    assert lastmods == {"2026-03-04T09:30:00+00:00"}


def test_a_formula_katex_rejects_fails_the_build_at_its_line(prose):
    from reading import MathError

    prose.edit("content/notes.md", "Text.\n\n## Second", "Text with \\(\\left( x\\).\n\n## Second")
    with pytest.raises(MathError, match=r"content/notes\.md:14: .*\\right"):
        prose.build(**reading_settings())


def test_bad_tex_stops_the_pelican_command_with_nothing_written(prose):
    prose.edit("content/notes.md", "Text.\n\n## Second", "Text with \\(\\left( x\\).\n\n## Second")
    conf = prose.root / "readingconf.py"
    conf.write_text(f"""import sys
sys.path.insert(0, {str(REPO)!r})
from pelicanconf import *
PATH = "content"
OUTPUT_PATH = "output"
PLUGIN_PATHS = [{str(REPO / 'plugins')!r}]
THEME = {str(REPO / 'theme')!r}
EXECBLOCKS_ROOT = {str(prose.root)!r}
""")
    done = subprocess.run([sys.executable, "-m", "pelican", "-s", str(conf), "--fatal", "errors"],
                          cwd=prose.root, capture_output=True, text=True,
                          env=dict(os.environ, COLUMNS="300"))  # rich wraps log lines at the width
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode != 0, said
    assert "content/notes.md:14: KaTeX parse error" in said, said
    assert not (prose.output / "notes.html").exists()


def test_two_forced_builds_write_byte_identical_pages(project):
    """Issue 13 §6: pages show the run that produced the stored outputs, so a rerun that
    reproduces them changes nothing a reader gets (the .html, the feed, the sitemap)."""

    def build() -> dict[str, bytes]:
        project.build(EXECBLOCKS_MODE="force", **reading_settings())
        return {p.relative_to(project.output).as_posix(): p.read_bytes()
                for p in sorted(project.output.rglob("*")) if p.suffix in (".html", ".xml")}

    first = build()
    provenance = project.results / "hello" / "provenance.json"
    ran_at = provenance.stat().st_mtime_ns
    second = build()
    assert provenance.stat().st_mtime_ns != ran_at, "the second build did not rerun the article"
    assert "hello.html" in first and 'class="cell-provenance"' in first["hello.html"].decode()
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []


def test_the_search_index_survives_builds_that_change_nothing(prose):
    """Pagefind leaves an index file it would write with the same bytes alone, so its change
    time stays that of the build that first wrote it. The engine builds into the site before
    last and sweeps out what this build did not write: from the third identical build on,
    the index's fragments were swept out and search found nothing. The plugin now replaces
    the index folder, as its docstring says."""
    from reading import search

    settings = reading_settings()
    for build in range(1, 5):
        prose.build(**settings)
        index = prose.output / "pagefind"
        assert search.find_pagefind(prose.root), "Pagefind is installed by `npm ci` (./bootstrap)"
        fragments = list((index / "fragment").glob("*.pf_fragment"))
        assert fragments and list((index / "index").glob("*.pf_index")), f"build {build}: no search index"
