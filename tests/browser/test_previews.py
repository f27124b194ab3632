"""Previews of cross-references, citations and footnotes (theme/static/js/previews.js), on a
small site of their own (sections, a numbered equation, citations, a footnote), so the test
does not depend on what the real articles happen to refer to."""

from __future__ import annotations

import pytest

from support import WIDTHS
from fixture_sites import build_fixture_site, serve

FILLER = "\n\n".join(f"Filler paragraph {n}, long enough to push the targets below the fold of the "
                     "window, so that a preview is the only way to see them from here." for n in range(12))
ARTICLE = f"""Title: Previews
Date: 2026-11-25
Slug: previews
Bibliography: refs.bib

Normalisation [@ioffe2015] is defined in @eq-bn and discussed in @sec-why.[^n]

{FILLER}

## Why it helps {{#sec-why}}

The section's first paragraph says why.

$$
y = \\gamma \\hat{{x}} + \\beta
$$ {{#eq-bn}}

{FILLER}

[^n]: A note on normalisation.
"""
BIB = """@inproceedings{ioffe2015,
  author = {Ioffe, Sergey and Szegedy, Christian},
  title = {Batch Normalization},
  booktitle = {ICML},
  year = {2015}
}
"""


@pytest.fixture(scope="module")
def previews_site(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("previews")
    output = build_fixture_site(root, {"previews.md": ARTICLE, "refs.bib": BIB}, EXECBLOCKS_MODE="off")
    with serve(output) as url:
        yield url + "previews.html"


@pytest.fixture
def open_page(browser, previews_site):
    contexts = []

    def open_(width: str):
        context = browser.new_context(**WIDTHS[width])
        contexts.append(context)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(previews_site, wait_until="load")
        return page, errors

    yield open_
    for context in contexts:
        context.close()


CASES = [  # (link, what its preview shows)
    ('a.cross-ref[href="#eq-bn"]', "γ"),
    ('a.cross-ref[href="#sec-why"]', "The section's first paragraph says why."),
    ("a.citation-link", "Ioffe, S. and Szegedy, C. (2015)"),
    ("a.footnote-ref", "A note on normalisation."),
]


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_focus_shows_a_preview_and_escape_hides_it(open_page, width):
    page, errors = open_page(width)
    preview = page.locator("#link-preview")
    for selector, expected in CASES:
        link = page.locator(selector).first
        link.focus()
        preview.wait_for(state="visible")
        assert expected in preview.inner_text(), (selector, preview.inner_text())
        assert link.get_attribute("aria-describedby") == "link-preview"
        assert preview.locator("[id], [tabindex='0']").count() == 0, "a copy: no ids, no tab stops"
        page.keyboard.press("Escape")
        preview.wait_for(state="hidden")
    assert errors == []


def test_hover_shows_the_preview_and_it_stays_while_the_pointer_is_on_it(open_page):
    page, _ = open_page("desktop")
    preview = page.locator("#link-preview")
    page.locator('a.cross-ref[href="#sec-why"]').hover()
    preview.wait_for(state="visible")
    preview.hover()
    page.wait_for_timeout(600)  # longer than the hide delay: the preview is still there
    assert preview.is_visible()
    page.mouse.move(0, 0)
    preview.wait_for(state="hidden")


def test_a_first_tap_previews_and_a_second_follows(open_page):
    page, _ = open_page("phone")
    link = page.locator("a.citation-link").first
    url = page.url
    link.tap()
    preview = page.locator("#link-preview")
    preview.wait_for(state="visible")
    assert page.url == url, "the first tap stays"
    assert "Ioffe" in preview.inner_text()
    link.tap()
    page.wait_for_url("**#ref-ioffe2015")
