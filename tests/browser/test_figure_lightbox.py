"""Figures in Chromium: the lightbox by keyboard, the dark rendition under a dark
scheme, the phone rendition on a phone.

A small site (the repository's theme and settings, one article with a real figure)
is built once for this module, with a real kernel, and served on 127.0.0.1.
"""

from __future__ import annotations


import pytest

from fixture_sites import build_fixture_site, serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTICLE = """\
Title: Figure check
Date: 2026-01-02
Slug: figure-check

Prose before the figure.

```{python}
#| fig-cap: Growth, with a reference line
#| fig-width: 9
#| fig-height: 3
import matplotlib.pyplot as plt
plt.plot([0, 1, 2], [0, 1, 4], label="data")
plt.plot([0, 2], [0, 4], "k--", label="reference")
plt.legend()
plt.title("Growth");
```

Prose after the figure.

```{python}
#| label: fig-pair
#| fig-cap: Two panels
#| fig-subcap: [Rising, Falling]
#| layout-ncol: 2
#| fig-width: 4
#| fig-height: 3
for ys in ([0, 1, 2], [2, 1, 0]):
    plt.figure()
    plt.plot(ys)
```
"""


@pytest.fixture(scope="module")
def figure_site(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("figure-site")
    output = build_fixture_site(root, {"figure-check.md": ARTICLE}, EXECBLOCKS_MODE="auto",
                                EXECBLOCKS_LOCK_TIMEOUT=60)
    with serve(output) as url:
        yield url + "figure-check.html"


@pytest.fixture
def open_page(browser):
    contexts = []

    def open_(url: str, color_scheme: str = "light", phone: bool = False, pixel_ratio: int = 2):
        options = ({"viewport": {"width": 375, "height": 740}, "device_scale_factor": pixel_ratio, "is_mobile": True,
                    "has_touch": True} if phone else {"viewport": {"width": 1280, "height": 900}})
        context = browser.new_context(color_scheme=color_scheme, **options)
        contexts.append(context)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto(url, wait_until="load")
        page.locator("a.figure-zoom img").first.scroll_into_view_if_needed()
        page.wait_for_function("document.querySelector('a.figure-zoom img').complete")
        return page, errors

    yield open_
    for context in contexts:
        context.close()


IS_OPENER_FOCUSED = "document.activeElement === document.querySelector('a.figure-zoom')"


def test_lightbox_opens_and_closes_by_keyboard_and_gives_focus_back(figure_site, open_page):
    from playwright.sync_api import expect

    page, errors = open_page(figure_site)
    link = page.locator("a.figure-zoom").first
    dialog = page.locator("dialog.lightbox")
    assert link.get_attribute("role") == "button"
    link.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    image = dialog.locator("img")
    assert image.evaluate("img => img.src") == link.evaluate("a => a.href")  # the full-size light rendition
    page.wait_for_function("document.querySelector('dialog.lightbox img').complete")
    assert image.evaluate("img => img.naturalWidth") > 1300
    assert dialog.locator(".lightbox-caption").inner_text().startswith("Figure 1.")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate(IS_OPENER_FOCUSED)

    # Space opens it too; the focused close button closes it with Enter.
    page.keyboard.press("Space")
    expect(dialog).to_be_visible()
    assert page.evaluate("document.activeElement.className") == "lightbox-close"
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    assert page.evaluate(IS_OPENER_FOCUSED)
    assert errors == []


def test_dark_scheme_chooses_the_dark_rendition_everywhere(figure_site, open_page):
    from playwright.sync_api import expect

    page, errors = open_page(figure_site, color_scheme="dark")
    link = page.locator("a.figure-zoom").first
    dark_files = page.evaluate("""() => document.querySelector('a.figure-zoom source').srcset
                                  .split(',').map(s => s.trim().split(' ')[0])""")
    shown = page.evaluate("document.querySelector('a.figure-zoom img').currentSrc")
    assert shown.rsplit("/", 1)[-1] in [f.rsplit("/", 1)[-1] for f in dark_files]
    link.click()
    expect(page.locator("dialog.lightbox")).to_be_visible()
    full_dark = page.evaluate("new URL(document.querySelector('a.figure-zoom source').srcset.split(' ')[0], "
                              "document.baseURI).href")
    assert page.locator("dialog.lightbox img").evaluate("img => img.src") == full_dark
    assert errors == []


@pytest.mark.parametrize("pixel_ratio", [1, 2])
def test_a_phone_loads_the_narrowest_rendition_that_fills_its_slot(figure_site, open_page, pixel_ratio):
    page, _ = open_page(figure_site, phone=True, pixel_ratio=pixel_ratio)
    img = page.locator("a.figure-zoom img").first
    candidates = {int(w[:-1]): url for url, w in (c.strip().split(" ") for c in img.get_attribute("srcset").split(","))}
    slot = img.bounding_box()["width"] * pixel_ratio
    wanted = min(w for w in candidates if w >= slot)  # 400 px at 1x, 720 px at 2x
    assert wanted <= 1.25 * slot, f"no rendition near the {slot} px slot: {sorted(candidates)}"
    assert img.evaluate("img => img.currentSrc").endswith(candidates[wanted].rsplit("/", 1)[-1]), (slot, candidates)


SUBFIGURES = """() => [...document.querySelectorAll('#fig-pair .cell-subfigure')].map(f => {
  const r = f.getBoundingClientRect();
  return {left: r.left, top: r.top, width: r.width};
})"""


@pytest.mark.parametrize("phone", [False, True])
def test_layout_ncol_subfigures_sit_side_by_side_and_stack_on_a_phone(figure_site, open_page, phone):
    page, errors = open_page(figure_site, phone=phone)
    first, second = page.evaluate(SUBFIGURES)
    column = page.evaluate("document.querySelector('.post-body').getBoundingClientRect().width")
    if phone:  # one under the other, each across the column
        assert second["top"] > first["top"] + 50 and abs(second["left"] - first["left"]) < 2, (first, second)
        assert first["width"] > 0.9 * column
    else:  # one row, each about half the column
        assert abs(second["top"] - first["top"]) < 2 and second["left"] > first["left"] + first["width"], (first, second)
        assert first["width"] < 0.55 * column
    assert errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_without_javascript_the_figure_links_the_full_size_of_its_scheme(browser, figure_site, scheme):
    context = browser.new_context(java_script_enabled=False, color_scheme=scheme,
                                  viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(figure_site, wait_until="load")
        media = page.locator(".figure-media").first
        light = media.locator("a.figure-zoom").get_attribute("href")
        dark = media.locator("a.figure-zoom-dark").get_attribute("href")
        assert dark != light and dark.rsplit("/", 1)[-1] in media.locator("source").get_attribute("srcset")
        assert media.locator("img").is_visible()
        # A click on the image and the keyboard both reach the scheme's full size.
        box = media.locator("img").bounding_box()
        with page.expect_navigation():
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        assert page.url.endswith((dark if scheme == "dark" else light).rsplit("/", 1)[-1])
        page.go_back(wait_until="load")
        focusable = page.evaluate("""() => [...document.querySelectorAll('.figure-media a')].filter(a => {
          const s = getComputedStyle(a); return s.display !== 'none' && s.visibility !== 'hidden'; })
          .map(a => a.className)""")
        assert focusable == ["figure-zoom-dark" if scheme == "dark" else "figure-zoom"] * len(focusable) and focusable
    finally:
        context.close()


def test_a_printed_page_uses_the_light_rendition_even_in_dark_mode(figure_site, open_page):
    page, _ = open_page(figure_site, color_scheme="dark")
    assert page.evaluate(SHOWN_FROM, "source")
    page.emulate_media(media="print", color_scheme="dark")
    # The browser re-picks the source when the media changes: wait for a light one (or time out).
    page.wait_for_function(SHOWN_FROM, arg="img", timeout=15_000)


# Whether the figure's image shows one of the candidates of its <source> or of its <img>.
SHOWN_FROM = """(element) => {
  const link = document.querySelector('a.figure-zoom');
  const candidates = link.querySelector(element).srcset.split(',')
    .map(s => new URL(s.trim().split(' ')[0], document.baseURI).href);
  return candidates.includes(link.querySelector('img').currentSrc);
}"""
