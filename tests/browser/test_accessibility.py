"""Accessibility the browser can measure: contrast in both schemes, keyboard skip link.

Landmarks, alt text, one <h1> and the skip link's target are checked on every page
by test_pages.py."""

import pytest

# Text elements whose contrast with their background is below WCAG AA:
# 4.5:1 for body text, 3:1 for large text (24px, or 18.66px bold).
LOW_CONTRAST = """() => {
  const parse = c => { const m = c.match(/[\\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const over = (top, under) => [0, 1, 2].map(i => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
  const background = el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let bg = [255, 255, 255, 1];
    for (const c of layers.reverse()) bg = over(c, bg);
    return bg;
  };
  const found = [];
  for (const el of document.querySelectorAll("body *")) {
    const text = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join("").trim();
    if (!text || el.closest("svg, math, .katex-mathml")) continue;
    if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
    const style = getComputedStyle(el);
    const bg = background(el);
    const fg = over(parse(style.color), bg);
    const [a, b] = [lum(fg), lum(bg)];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) found.push(`${ratio.toFixed(2)}:1 <${el.tagName.toLowerCase()} class="${el.className}"> "${text.slice(0, 40)}"`);
  }
  return found;
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_contrast(visit, content_page, scheme):
    seen = visit("desktop", content_page, color_scheme=scheme)
    low = seen.page.evaluate(LOW_CONTRAST)
    assert not low, f"{content_page} ({scheme}): text below WCAG AA contrast:\n  " + "\n  ".join(low)


def test_dark_scheme_is_dark(visit):
    page = visit("desktop", "index.html", color_scheme="dark").page
    bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert bg == "rgb(21, 23, 27)", bg


def test_skip_link_is_first_and_moves_focus_to_main(visit):
    page = visit("desktop", "index.html").page
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.className, document.activeElement.getBoundingClientRect().top]")
    assert focused[0] == "skip-link" and focused[1] >= 0, focused  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    assert page.url.endswith("#content")

