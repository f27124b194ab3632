"""How articles read: the measure, figures, code folds, outputs, colour schemes, print."""

import pytest
from support import content_pages

# Characters per line of every long paragraph of the article body (a readable measure).
CHARS_PER_LINE = """() => [...document.querySelectorAll(".post-body > p")]
  .filter(p => p.textContent.length > 300 && !p.querySelector(".katex, img, code"))
  .map(p => {
    const range = document.createRange();
    range.selectNodeContents(p);
    const lines = new Set([...range.getClientRects()].map(r => Math.round(r.bottom))).size;
    return p.textContent.replace(/\\s+/g, " ").trim().length / lines;
  })"""


def test_measure_is_readable(visit, built_site):
    # Over the whole site, not per page: a page may have no long plain paragraph (the
    # writing guide's all hold code), but the site must have some, or this measured nothing.
    measured = {path: visit("desktop", path).page.evaluate(CHARS_PER_LINE)
                for path in content_pages(built_site)}
    assert any(measured.values()), f"no paragraph to measure on any page: {measured}"
    for path, per_paragraph in measured.items():
        for chars in per_paragraph:
            assert 55 <= chars <= 85, f"{path}: {chars:.0f} characters per line"


FIGURES = """() => {
  const body = document.querySelector(".post-body").getBoundingClientRect();
  const toc = document.querySelector(".toc");
  // Sub-figures sit in their grid's columns; the grid is what is centred.
  return [...document.querySelectorAll("figure:not(.cell-subfigure)")].map(f => {
    const content = f.querySelector(":scope > .figure-grid") || f.querySelector("img");
    const fig = f.getBoundingClientRect(), img = content.getBoundingClientRect();
    return {id: f.id, wide: f.classList.contains("column-page"),
            figCentre: fig.left + fig.width / 2, imgCentre: img.left + img.width / 2,
            figLeft: fig.left, bodyLeft: body.left, figRight: fig.right,
            tocRight: toc && toc.getBoundingClientRect().width ? toc.getBoundingClientRect().right : null,
            bodyCentre: body.left + body.width / 2, width: fig.width, bodyWidth: body.width,
            caption: (f.querySelector("figcaption .figure-number") || {}).textContent || null};
  });
}"""


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_figures_are_centred_and_wide_ones_break_out(visit, content_page, width):
    """Figures sit centred on the text; wide ones break out (into the right margin only when
    the table of contents holds the left one, so they never cover it)."""
    figures = visit(width, content_page).page.evaluate(FIGURES)
    assert figures, f"{content_page}: no figure"
    for f in figures:
        assert abs(f["imgCentre"] - f["figCentre"]) < 2, f"{content_page} {f['id']}: image off centre"
        beside_toc = f["wide"] and width == "desktop" and f["tocRight"] is not None
        if beside_toc:
            assert abs(f["figLeft"] - f["bodyLeft"]) < 2, f"{content_page} {f['id']}: wide figure covers the TOC"
            assert f["figLeft"] > f["tocRight"], f"{content_page} {f['id']}: wide figure covers the TOC"
        else:
            assert abs(f["figCentre"] - f["bodyCentre"]) < 2, f"{content_page} {f['id']}: figure off centre"
        if f["wide"] and width == "desktop":
            assert f["width"] > f["bodyWidth"] + 100, f"{content_page} {f['id']}: column-page is not wide"
    numbers = [f["caption"] for f in figures if f["caption"]]
    assert numbers == [f"Figure {i}." for i in range(1, len(numbers) + 1)], numbers


OUTPUT_STYLES = """() => {
  const style = sel => { const el = document.querySelector(sel); return el && getComputedStyle(el); };
  const code = style(".cell-code .highlight pre"), out = style(".cell-output-stdout pre");
  const error = document.querySelector(".cell-output-error");
  return {
    codeBackground: code && code.backgroundColor,
    outBackground: out && out.backgroundColor,
    outRule: out && out.borderLeftWidth,
    errorLabel: error && getComputedStyle(error, "::before").content,
    tokenColours: new Set([...document.querySelectorAll(".highlight pre span")]
      .map(s => getComputedStyle(s).color)).size,
  };
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_code_and_outputs_are_distinct(visit, content_page, scheme):
    styles = visit("desktop", content_page, color_scheme=scheme).page.evaluate(OUTPUT_STYLES)
    assert styles["codeBackground"], f"{content_page}: no code block"
    if styles["outBackground"]:
        assert styles["codeBackground"] != styles["outBackground"], styles  # source sits on a panel
        assert styles["outRule"] != "0px", styles  # printed output hangs off a rule
    if styles["errorLabel"]:
        assert "Error" in styles["errorLabel"], styles  # errors say so, not only in red
    assert styles["tokenColours"] >= 3, styles  # Pygments colours apply in this scheme


def test_folded_code_opens(visit, content_page):
    page = visit("desktop", content_page).page
    folds = page.locator("details.cell-fold")
    assert folds.count(), f"{content_page}: no folded code"
    for i in range(folds.count()):
        fold = folds.nth(i)
        if fold.get_attribute("open") is not None:  # `code-fold: show` starts open
            assert fold.locator(".cell-code").is_visible()
            continue
        assert not fold.locator(".cell-code").is_visible()
        fold.locator("summary").click()
        assert fold.locator(".cell-code").is_visible()


def test_print_hides_navigation_and_prints_black_on_white(visit, content_page):
    page = visit("desktop", content_page, color_scheme="dark").page
    page.emulate_media(media="print")
    assert not page.locator(".site-nav").is_visible()
    assert not page.locator(".site-footer").is_visible()
    colours = page.evaluate(
        "[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]"
    )
    assert colours == ["rgb(255, 255, 255)", "rgb(0, 0, 0)"], colours
