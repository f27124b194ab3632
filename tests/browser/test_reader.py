"""The reader's experience on the BatchNorm article (issue 21), at 375, 1280 and 1920 px,
light and dark: figures that really enlarge and fit a screen, tables that fit their
column, a table of contents that follows the reader however they move, the theme toggle,
"Cite this article", search, print."""

from __future__ import annotations

import io
import json

import pytest

from support import LOAD_EVERYTHING, WIDTHS

BATCHNORM = "batchnorm"
SIZES = ["phone", "desktop", "wide"]  # 375, 1280, 1920 px
SCHEMES = ["light", "dark"]


@pytest.fixture
def batchnorm(article_page):
    path = article_page(BATCHNORM)
    assert path, f"the built site has no article with slug {BATCHNORM!r}"
    return path


@pytest.fixture
def fresh_context(browser):
    """fresh_context(width, **options): a context of its own (its own localStorage)."""
    made = []

    def new(width: str, **options):
        context = browser.new_context(**WIDTHS[width], **options)
        context.set_default_timeout(300_000)
        made.append(context)
        return context

    yield new
    for context in made:
        context.close()


# The full-size files of the rendition a figure's <picture> shows now.
SHOWN_SET = """link => {
  const source = link.querySelector('source');
  const useDark = source && matchMedia(source.media).matches;
  const set = useDark ? source.srcset : link.querySelector('img').srcset || link.querySelector('img').src;
  return {dark: !!useDark,
          files: set.split(',').map(s => new URL(s.trim().split(' ')[0], document.baseURI).href)};
}"""


# ---------------------------------------------------------------- figures

@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", SIZES)
def test_the_lightbox_shows_every_figure_larger_than_the_page(visit, batchnorm, width, scheme):
    page = visit(width, batchnorm, color_scheme=scheme).page
    links = page.locator("a.figure-zoom")
    assert links.count() >= 1
    dialog, image = page.locator("dialog.lightbox"), page.locator("dialog.lightbox img")
    ratios = {}
    for i in range(links.count()):
        link = links.nth(i)
        link.scroll_into_view_if_needed()
        on_page = link.locator("img").bounding_box()["width"]
        shown = link.evaluate(SHOWN_SET)
        assert shown["dark"] == (scheme == "dark"), "the page shows its scheme's rendition"
        link.click()
        page.wait_for_function("() => { const i = document.querySelector('dialog.lightbox img');"
                               " return i.complete && i.naturalWidth > 0; }")
        assert image.evaluate("img => img.src") == shown["files"][0], "the full-size file of the rendition shown"
        ratios[link.evaluate("a => a.closest('figure').id")] = image.bounding_box()["width"] / on_page
        page.keyboard.press("Escape")
        dialog.wait_for(state="hidden")
    smaller = {k: round(v, 2) for k, v in ratios.items() if v < 1.1}
    assert not smaller, f"at {width}, {scheme}: enlarged by less than 1.1x: {smaller} (all: {ratios})"


def test_the_lightbox_zooms_by_keys_wheel_and_buttons_and_pans(visit, batchnorm):
    page = visit("desktop", batchnorm).page
    link = page.locator("a.figure-zoom").first
    link.scroll_into_view_if_needed()
    link.click()
    image, stage = page.locator("dialog.lightbox img"), page.locator(".lightbox-stage")
    page.wait_for_function("document.querySelector('dialog.lightbox img').complete")
    width = lambda: image.bounding_box()["width"]  # noqa: E731
    fitted = width()
    page.keyboard.press("+")
    assert width() == pytest.approx(fitted * 1.25, rel=0.02)
    page.locator(".lightbox-button[aria-label='Zoom in']").click()
    assert width() == pytest.approx(fitted * 1.25 ** 2, rel=0.02)
    page.keyboard.press("0")
    assert width() == pytest.approx(fitted, rel=0.02)
    # A trackpad pinch is Ctrl + wheel, at the pointer.
    box = stage.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -300)
    page.keyboard.up("Control")
    page.wait_for_function("w => document.querySelector('dialog.lightbox img').getBoundingClientRect().width > w * 1.5",
                           arg=fitted)
    assert page.locator(".lightbox-zoom").inner_text().endswith("%")
    # Zoomed in, the arrow keys pan the stage.
    stage.focus()
    before = stage.evaluate("s => s.scrollLeft")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("([s, x]) => s.scrollLeft > x", arg=[stage.element_handle(), before])
    page.keyboard.press("Escape")
    page.locator("dialog.lightbox").wait_for(state="hidden")


FIGURE_HEIGHTS = """() => Object.fromEntries([...document.querySelectorAll('.post-body figure:not(.cell-subfigure)')]
  .map(f => [f.id || f.querySelector('.figure-number').textContent, Math.round(f.getBoundingClientRect().height)]))"""


def test_every_figure_with_its_caption_fits_an_800px_screen(fresh_context, base_url, batchnorm):
    page = fresh_context("desktop").new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(base_url + batchnorm, wait_until="load")
    heights = page.evaluate(FIGURE_HEIGHTS)
    assert heights
    too_tall = {f: h for f, h in heights.items() if h > 800}
    assert not too_tall, f"figures with their captions taller than an 800 px screen at 1280 px: {too_tall}"


# ---------------------------------------------------------------- tables

TABLES = """() => {
  const body = document.querySelector('.post-body').getBoundingClientRect();
  return [...document.querySelectorAll('.post-body .table-scroll')].map(box => {
    const r = box.getBoundingClientRect();
    const broken = [...box.querySelectorAll('td.num .nb, td.num:not(:has(.nb))')].filter(el => {
      const range = document.createRange();
      range.selectNodeContents(el);
      return new Set([...range.getClientRects()].map(q => Math.round(q.top))).size > 1;
    }).map(el => el.textContent);
    return {left: r.left, right: r.right, bodyLeft: body.left, bodyRight: body.right,
            viewport: document.documentElement.clientWidth,
            overflows: box.scrollWidth > box.clientWidth + 1,
            hint: getComputedStyle(box, '::before').content,
            caption: (box.querySelector('caption') || {}).textContent || null,
            captionRight: box.querySelector('caption')?.getBoundingClientRect().right ?? null,
            // A box around it that scrolls or clips would hide what the table's own box shows.
            clippedBy: [...(function* (el) { for (; el && !el.matches('.post-body'); el = el.parentElement) yield el; })(box.parentElement)]
              .filter(el => getComputedStyle(el).overflowX !== 'visible' && el.getBoundingClientRect().right < r.right - 1)
              .map(el => el.className),
            broken};
  });
}"""


@pytest.mark.parametrize("width", SIZES)
def test_no_table_is_wider_than_its_column(visit, batchnorm, width):
    tables = visit(width, batchnorm).page.evaluate(TABLES)
    assert tables
    for i, t in enumerate(tables):
        assert t["left"] >= t["bodyLeft"] - 1, (i, t)
        assert not t["broken"], f"table {i}: numbers broken over lines: {t['broken']}"
        assert not t["clippedBy"], f"table {i} is cut off by a box around it: {t}"
        if width == "phone":
            assert t["right"] <= t["bodyRight"] + 1, (i, t)  # the text column
            if t["overflows"]:
                assert "Scroll" in t["hint"], f"table {i} scrolls without saying so: {t}"
            if t["caption"]:  # read without scrolling sideways
                assert t["captionRight"] <= t["bodyRight"] + 1, f"table {i}'s caption is wider than the column: {t}"
        else:  # the text column and the right margin, and the whole table in it
            assert t["right"] <= t["viewport"] - 16, (i, t)
            assert not t["overflows"], f"table {i} scrolls at {width}: {t}"


def test_computed_tables_are_numbered(visit, batchnorm):
    """Every table a block printed carries "Table n." in order."""
    captions = visit("desktop", batchnorm).page.evaluate(
        "() => [...document.querySelectorAll('.post-body .cell-output table')].map(t => t.caption?.textContent ?? null)")
    assert captions
    assert all(c and c.startswith(f"Table {n}.") for n, c in enumerate(captions, 1)), captions


# ---------------------------------------------------------------- table of contents

CURRENT = "() => document.querySelector('.toc a[aria-current]')?.hash.slice(1) || null"
# The section a target is in: the last contents entry whose heading comes before it.
SECTION_OF = """id => {
  const target = document.getElementById(id);
  let found = null;
  for (const a of document.querySelectorAll('.toc a')) {
    const h = document.getElementById(decodeURIComponent(a.hash.slice(1)));
    if (h && (h === target || h.compareDocumentPosition(target) & Node.DOCUMENT_POSITION_FOLLOWING)) found = h.id;
  }
  return found;
}"""


def press_and_wait_for_the_scroll(page, key: str) -> float:
    """Press a key that scrolls the page and wait for its scroll to end (the scrollend
    event); return where it ended. Chromium animates a key's scroll, and a key pressed
    while that animation still runs (the page already at its end, the animation not done)
    is folded into it: Home right after End left the page at the bottom or short of the top."""
    page.evaluate("() => { window.scrollEnded = new Promise(done =>"
                  " addEventListener('scrollend', () => done(scrollY), {once: true})); }")
    page.keyboard.press(key)
    return page.evaluate("() => window.scrollEnded")


def current_is(page, expected: str) -> None:
    page.wait_for_function(f"({CURRENT})() === {json.dumps(expected)}", timeout=10_000)


@pytest.mark.parametrize("width", SIZES)
def test_toc_marks_the_section_in_view_after_any_jump(visit, batchnorm, width):
    page = visit(width, batchnorm).page
    entries = page.evaluate("() => [...document.querySelectorAll('.toc a')].map(a => a.hash.slice(1))")
    assert "references" in entries, entries
    # The End key: the last section, though its heading never reaches the top. The keys
    # go to <main>, focused without scrolling: a focus that scrolls ends with a scrollend
    # of its own, which a loaded machine delivers after the wait below has begun (CI:
    # the wait took the focus's scrollend at 123 px for the End key's).
    page.locator("main").evaluate("main => main.focus({preventScroll: true})")
    assert page.evaluate("() => document.activeElement.tagName") == "MAIN"
    press_and_wait_for_the_scroll(page, "End")
    assert page.evaluate("() => innerHeight + scrollY >= document.documentElement.scrollHeight - 2")
    current_is(page, entries[-1])
    # The Home key: back to the top, and the first section (or none) marked.
    assert press_and_wait_for_the_scroll(page, "Home") == 0
    page.wait_for_function(f"[null, {json.dumps('#' + entries[0])}]"
                           ".includes(document.querySelector('.toc a[aria-current]')?.hash ?? null)", timeout=10_000)
    # A citation in a section (not the introduction): its reference entry's section ...
    cite_id = page.evaluate(f"""() => [...document.querySelectorAll('a.citation-link')].map(a => a.id)
                                 .find(id => ({SECTION_OF})(id) !== null)""")
    assert cite_id, "a citation inside a section"
    citation = page.locator(f"#{cite_id}")
    target = citation.evaluate("a => a.hash.slice(1)")
    citation.click()
    page.wait_for_url(f"**#{target}")
    current_is(page, page.evaluate(SECTION_OF, target))
    # ... and its back-link: the section of the citation.
    page.locator(f'#{target} a.ref-backlink[href="#{cite_id}"]').click()
    page.wait_for_url(f"**#{cite_id}")
    expected = page.evaluate(SECTION_OF, cite_id)
    assert expected not in (None, "references")
    current_is(page, expected)


def test_toc_is_open_in_the_margin_without_javascript(fresh_context, base_url, batchnorm):
    page = fresh_context("desktop", java_script_enabled=False).new_page()
    page.goto(base_url + batchnorm, wait_until="load")
    first = page.locator(".toc ol a").first
    assert first.is_visible()
    toc, body = (page.locator(s).bounding_box() for s in (".toc", ".post-body"))
    assert toc["x"] + toc["width"] <= body["x"], (toc, body)


def test_a_phone_gets_back_to_the_contents_from_deep_in_the_page(visit, batchnorm):
    page = visit("phone", batchnorm).page
    button = page.locator(".toc-return")
    assert not button.is_visible(), "hidden while the contents are in view"
    page.locator("#references").scroll_into_view_if_needed()
    button.wait_for(state="visible")
    button.click()
    page.wait_for_function("document.getElementById('contents').open")
    page.wait_for_function("Math.abs(document.querySelector('.toc').getBoundingClientRect().top) < 120")


# ---------------------------------------------------------------- previews, theme, citation, search

@pytest.mark.parametrize("width", SIZES)
def test_a_citation_previews_its_reference_on_focus(visit, batchnorm, width):
    page = visit(width, batchnorm).page
    citation = page.locator("a.citation-link").first
    entry = page.locator(citation.evaluate("a => a.hash")).inner_text()
    citation.focus()
    preview = page.locator(".preview[role=tooltip]")
    preview.wait_for(state="visible")
    assert preview.inner_text().strip()[:40] == entry.strip()[:40]
    assert citation.get_attribute("aria-describedby") == preview.get_attribute("id")
    page.keyboard.press("Escape")
    preview.wait_for(state="hidden")


@pytest.mark.parametrize("system", SCHEMES)
@pytest.mark.parametrize("width", SIZES)
def test_the_theme_toggle_survives_a_reload_and_switches_figures(fresh_context, base_url, batchnorm, width, system):
    page = fresh_context(width, color_scheme=system).new_page()
    page.goto(base_url + batchnorm, wait_until="load")
    toggle = page.locator(".theme-toggle")
    toggle.wait_for(state="visible")
    assert toggle.get_attribute("aria-pressed") == str(system == "dark").lower()
    toggle.click()
    chosen = "light" if system == "dark" else "dark"
    background = {"light": "rgb(255, 255, 255)", "dark": "rgb(21, 23, 27)"}

    def check():
        assert page.evaluate("document.documentElement.dataset.theme") == chosen
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == background[chosen]
        link = page.locator("a.figure-zoom").first
        link.scroll_into_view_if_needed()
        page.wait_for_function("""([link, dark]) => {
          const img = link.querySelector('img'), source = link.querySelector('source');
          const set = dark ? source.srcset : img.srcset;
          const files = set.split(',').map(s => new URL(s.trim().split(' ')[0], document.baseURI).href);
          return img.complete && files.includes(img.currentSrc);
        }""", arg=[link.element_handle(), chosen == "dark"])
        link.click()
        page.wait_for_function("document.querySelector('dialog.lightbox img').complete")
        assert page.locator("dialog.lightbox img").evaluate("img => img.src") == link.evaluate(SHOWN_SET)["files"][0]
        assert link.evaluate(SHOWN_SET)["dark"] == (chosen == "dark")
        page.keyboard.press("Escape")

    check()
    page.reload(wait_until="load")
    check()
    assert page.locator(".theme-toggle").get_attribute("aria-pressed") == str(chosen == "dark").lower()


def test_cite_this_article_gives_text_and_bibtex_from_the_metadata(visit, batchnorm):
    page = visit("desktop", batchnorm).page
    title = page.locator("h1.post-title").inner_text()
    year = page.locator(".byline time").first.get_attribute("datetime")[:4]
    text = page.locator(".cite-this .cite-text").inner_text()
    assert title in text and f"({year})" in text
    bibtex = page.locator(".cite-this pre").inner_text()
    assert bibtex.startswith(f"@misc{{{BATCHNORM}{year},")
    assert f"title = {{{title}}}," in bibtex and f"year = {{{year}}}," in bibtex
    assert page.locator(".cite-this .copy-button").count() == 1


def test_search_finds_a_word_from_the_article(visit, built_site, batchnorm):
    assert (built_site / "pagefind" / "pagefind-ui.js").is_file(), (
        "the site was built without its search index: `npm install` (Pagefind) at the project root")
    page = visit("desktop", "search.html").page
    box = page.locator("#search input")
    box.wait_for(state="visible")
    assert page.evaluate("document.activeElement") == page.evaluate("document.querySelector('#search input')")
    page.keyboard.type("covariate")
    result = page.locator(f".pagefind-ui__result-link[href*='{batchnorm}']").first
    result.wait_for(state="visible")
    assert "BatchNorm" in result.inner_text()


# ---------------------------------------------------------------- print

# On paper a dark <source> ("screen and (prefers-color-scheme: dark)") no longer matches, and
# the browser picks the light rendition again, after the switch to print: wait for every
# <picture> to show a decoded file that is not one of its dark ones.
PRINTS_LIGHT = """() => [...document.querySelectorAll('picture')].every(picture => {
  const img = picture.querySelector('img'), source = picture.querySelector('source');
  const dark = source ? source.srcset.split(',').map(s => new URL(s.trim().split(' ')[0], document.baseURI).href) : [];
  return img.complete && img.currentSrc !== '' && !dark.includes(img.currentSrc);
})"""


def test_the_article_prints_on_at_most_14_a4_pages_without_chrome(fresh_context, base_url, batchnorm):
    import pypdf

    page = fresh_context("desktop", color_scheme="dark").new_page()
    page.goto(base_url + batchnorm, wait_until="load")
    page.evaluate(LOAD_EVERYTHING)
    page.emulate_media(media="print")
    page.wait_for_function(PRINTS_LIGHT)  # a dark page prints the light renditions
    page.evaluate(LOAD_EVERYTHING)
    pdf = pypdf.PdfReader(io.BytesIO(page.pdf(format="A4")))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    images = page.locator("figure.cell-figure img").count()  # a figure of sub-figures holds several
    assert images >= page.locator("figure.cell-figure").count() > 0
    assert sum(len(p.images) for p in pdf.pages) == images, "every figure's every image is printed"
    assert len(pdf.pages) <= 14, f"{len(pdf.pages)} A4 pages"
    chrome = [words for words in ("Run it yourself", "How these results were computed", "· cpu", "Dark theme",
                                  "Skip to content", "Scroll sideways") if words in text]
    assert not chrome, f"build chrome printed: {chrome}"
    assert "https://blog.paperspace.com" not in text, "no URLs printed after links"
