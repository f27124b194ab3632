"""The reading aids of plugins/reading and theme/static/js/reading.js, in a real browser:
table of contents, copy buttons, scrollable boxes, math without KaTeX's script, page weight."""

import pytest
from support import LOAD_EVERYTHING, WIDTHS

BATCHNORM = "batchnorm"

TOC_LINKS = "() => [...document.querySelectorAll('.toc a')].map(a => a.hash.slice(1))"


@pytest.fixture
def batchnorm(article_page):
    path = article_page(BATCHNORM)
    assert path, f"the built site has no article with slug {BATCHNORM!r}"
    return path


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_toc_links_scroll_to_their_sections(visit, batchnorm, width):
    page = visit(width, batchnorm).page
    anchors = page.evaluate(TOC_LINKS)
    assert len(anchors) >= 3, anchors
    details = page.locator(".toc details")
    if width == "phone":
        assert details.get_attribute("open") is None, "on a phone the contents start folded"
        page.locator(".toc summary").click()
    else:  # open in the margin, beside the text
        page.wait_for_function("document.querySelector('.toc details').open")
        toc, body = (page.locator(s).bounding_box() for s in (".toc", ".post-body"))
        assert toc["x"] + toc["width"] <= body["x"], (toc, body)
    for anchor in (anchors[-1], anchors[1]):
        page.locator(f'.toc a[href="#{anchor}"]').click()
        # The section's heading arrives at the top of the window (an event, not a timer).
        page.wait_for_function("id => Math.abs(document.getElementById(id).getBoundingClientRect().top) < 80",
                               arg=anchor, timeout=10_000)
        assert page.url.endswith("#" + anchor)
    if width == "desktop":  # the reader's position is tracked: the last section clicked is current
        page.wait_for_function("id => document.querySelector(`.toc a[aria-current]`)?.hash === '#' + id",
                               arg=anchors[1], timeout=10_000)
        box = page.locator(".toc").bounding_box()
        assert 0 <= box["y"] < 100, f"the contents stay in view (sticky): {box}"


def test_copy_button_copies_the_code_by_keyboard(visit, contexts, batchnorm, base_url):
    contexts("desktop").grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url.rstrip("/"))
    page = visit("desktop", batchnorm).page
    button = page.locator(".post-body .highlight .copy-button").first
    assert page.evaluate("el => el.textContent", button.element_handle()) == "Copy code"  # its name
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("b => b.textContent.startsWith('Copied')", arg=button.element_handle(), timeout=10_000)
    expected = page.evaluate("b => b.parentElement.querySelector('pre').textContent.replace(/\\n$/, '')",
                             button.element_handle())
    assert page.evaluate("navigator.clipboard.readText()") == expected
    assert page.locator("[role=status]").last.text_content() == "Copied"


OVERFLOWING = """() => [...document.querySelectorAll('pre, .arithmatex, .table-scroll, .cell-output-display')]
  .filter(el => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'auto')
  .map(el => ({tag: el.tagName, cls: el.className, tabindex: el.getAttribute('tabindex'),
               role: el.getAttribute('role'), label: el.getAttribute('aria-label')}))"""


def test_boxes_that_scroll_are_named_keyboard_regions(visit, content_page):
    page = visit("phone", content_page).page
    boxes = page.evaluate(OVERFLOWING)
    assert boxes, f"{content_page}: no box scrolls sideways at phone width"
    for box in boxes:
        assert box["tabindex"] == "0" and box["role"] == "region" and box["label"], box
    # The keyboard scrolls the first one sideways.
    box = page.evaluate_handle(
        "() => [...document.querySelectorAll('[tabindex=\"0\"]')].find(el => el.scrollWidth > el.clientWidth + 1)")
    box.as_element().focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.scrollLeft > 0", arg=box, timeout=10_000)


def test_math_is_rendered_without_katex_script(visit, built_site, content_page):
    source = (built_site / content_page).read_text("utf-8")
    if "arithmatex" not in source:
        pytest.skip(f"{content_page} has no math")
    assert 'class="katex"' in source, "math is rendered into the HTML when the site is built"
    assert "katex.min.js" not in source
    seen = []
    page = visit("phone", content_page).page
    page.on("request", lambda r: seen.append(r.url))
    page.reload(wait_until="load")
    assert not [u for u in seen if u.endswith(".js") and "katex" in u], seen
    assert page.locator(".katex").count() > 0


def test_article_weight_at_phone_width(browser, base_url, batchnorm, screenshots):
    """Bytes the BatchNorm article transfers on a phone's first visit (a fresh context: an
    empty cache), every lazy image included. Uncompressed: http.server does not gzip.
    A report, written to test-artifacts/page-weight.txt and printed (`-s`)."""
    context = browser.new_context(**WIDTHS["phone"])
    page = context.new_page()
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    try:
        page.goto(base_url + batchnorm, wait_until="load")
        page.evaluate(LOAD_EVERYTHING)
        page.wait_for_load_state("networkidle")
        rows = [(r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"], r.resource_type, r.url)
                for r in finished]
    finally:
        context.close()
    total = sum(size for size, _, _ in rows)
    by_type = {}
    for size, kind, _ in rows:
        by_type[kind] = by_type.get(kind, 0) + size
    lines = [f"{BATCHNORM} at 375 px: {total:,} bytes ({total / 1e6:.2f} MB) in {len(rows)} requests"]
    lines += [f"  {kind:<10} {size:>10,} bytes" for kind, size in sorted(by_type.items(), key=lambda kv: -kv[1])]
    lines += [f"    {size:>10,}  {url.rsplit('/', 1)[-1]}" for size, _, url in sorted(rows, reverse=True)]
    report = "\n".join(lines)
    (screenshots.parent / "page-weight.txt").write_text(report + "\n")
    print("\n" + report)
    assert rows and all(size > 0 for size, _, _ in rows), report
    assert not [url for _, _, url in rows if url.endswith("katex.min.js")], report


def test_a_provenance_line_opens_the_run_table(visit, batchnorm):
    page = visit("phone", batchnorm).page
    details = page.locator("#run-details")
    assert details.get_attribute("open") is None
    page.locator(".cell-provenance a").first.click()
    page.wait_for_function("document.getElementById('run-details').open", timeout=10_000)
    assert page.locator(".run-blocks tbody tr").count() >= 1
