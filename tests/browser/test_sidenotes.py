"""Sidenotes in a browser, on a small site of its own built with this theme (the real
site has no footnotes): in the right margin on a wide screen, under the sentence on a phone."""

import contextlib

import pytest

from support import REPO, WIDTHS

ARTICLE = """\
Title: Notes
Date: 2026-01-01

A first paragraph long enough to wrap over a few lines of the text column, with a
reference to a note right here.[^n] And the paragraph goes on after the note, for a while,
so that there is text below the note's reference on the same paragraph.

A second paragraph.
"""


@pytest.fixture(scope="module")
def notes_site(tmp_path_factory):
    from pelican import Pelican
    from pelican.settings import read_settings

    root = tmp_path_factory.mktemp("notes")
    (root / "content").mkdir()
    (root / "content" / "notes.md").write_text(ARTICLE + "\n[^n]: A sidenote, *short*.\n")
    settings = read_settings(str(REPO / "pelicanconf.py"), override={
        "PATH": str(root / "content"), "OUTPUT_PATH": str(root / "output"), "PAGE_PATHS": [],
        "EXECBLOCKS_ROOT": str(root), "THEME": str(REPO / "theme"), "PLUGIN_PATHS": [str(REPO / "plugins")]})
    with contextlib.chdir(root):
        Pelican(settings).run()
    return root / "output"


GEOMETRY = """() => {
  const note = document.querySelector(".sidenote").getBoundingClientRect();
  const ref = document.querySelector(".sidenote-ref").getBoundingClientRect();
  const body = document.querySelector(".post-body").getBoundingClientRect();
  return {noteLeft: note.left, noteRight: note.right, noteTop: note.top, refTop: ref.top, refBottom: ref.bottom,
          bodyLeft: body.left, bodyRight: body.right, viewport: document.documentElement.clientWidth};
}"""


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_sidenote_sits_in_the_margin_or_under_its_sentence(browser, notes_site, width):
    context = browser.new_context(**WIDTHS[width])
    try:
        page = context.new_page()
        page.goto((notes_site / "notes.html").as_uri(), wait_until="load")
        g = page.evaluate(GEOMETRY)
    finally:
        context.close()
    if width == "desktop":
        assert g["noteLeft"] > g["bodyRight"] and g["noteRight"] <= g["viewport"], g  # in the right margin
        assert abs(g["noteTop"] - g["refTop"]) < 40, g  # level with its reference
    else:
        assert g["bodyLeft"] <= g["noteLeft"] and g["noteRight"] <= g["bodyRight"] + 1, g  # in the column
        assert g["noteTop"] >= g["refBottom"] - 1, g  # below the line that refers to it
