"""Every page of the built site, at desktop and phone width, loads cleanly in a browser."""

import pytest

# Everything that is wrong with a loaded page, as readable lines (empty when all is well).
PAGE_PROBLEMS = """() => {
  const problems = [];
  for (const img of document.images) {
    if (!(img.complete && img.naturalWidth > 0)) problems.push(`image not loaded: ${img.currentSrc || img.src}`);
    if (!img.hasAttribute("alt")) problems.push(`image without alt: ${img.src}`);
    else if (img.closest("figure") && !img.alt.trim()) problems.push(`figure image with empty alt: ${img.src}`);
  }
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth) {
    const wide = [...document.querySelectorAll("body *")]
      .filter(el => el.getBoundingClientRect().right > doc.clientWidth + 1 && !el.closest("math"))
      .slice(0, 3).map(el => el.tagName.toLowerCase() + (el.className ? "." + el.className : ""));
    problems.push(`scrolls sideways: ${doc.scrollWidth}px wide for ${doc.clientWidth}px (${wide.join(", ")})`);
  }
  const maths = document.querySelectorAll(".arithmatex");
  for (const el of maths) {
    if (!el.querySelector(".katex")) problems.push(`math not rendered: ${el.textContent.trim().slice(0, 60)}`);
  }
  for (const el of document.querySelectorAll(".katex-error")) problems.push(`KaTeX error: ${el.title || el.textContent}`);
  for (const tag of ["header", "nav", "main", "footer"]) {
    if (!document.querySelector(tag)) problems.push(`no <${tag}> landmark`);
  }
  if (document.querySelectorAll("h1").length !== 1) problems.push(`${document.querySelectorAll("h1").length} <h1> elements`);
  if (!document.documentElement.lang) problems.push("no lang on <html>");
  const skip = document.querySelector("a.skip-link");
  if (!skip || !document.querySelector(skip.getAttribute("href"))) problems.push("no working skip link");
  return problems;
}"""


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_page_loads_cleanly(visit, built_site, site_page, width):
    """No console errors or failed requests; images loaded; no sideways scroll; math rendered."""
    seen = visit(width, site_page)
    problems = [f"console: {m}" for m in seen.console_errors]
    problems += [f"request failed: {r}" for r in seen.failed_requests]
    problems += seen.page.evaluate(PAGE_PROBLEMS)
    source = (built_site / site_page).read_text(encoding="utf-8")
    if 'class="arithmatex"' in source and not seen.page.locator(".katex").count():
        problems.append("the page has math but no .katex node")
    assert not problems, f"{site_page} at {width}:\n  " + "\n  ".join(problems)
