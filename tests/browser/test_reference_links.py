"""Cross-references and citation back-links take the reader where they say.

A small site of its own (one article with labelled sections, a numbered equation and
citations against a .bib file), built with the repository's settings, so this test does
not depend on what the real articles happen to cite.
"""

from __future__ import annotations


import pytest

from fixture_sites import REPO, build_fixture_site, serve

FILLER = "\n\n".join(
    f"Paragraph {n} of filler text, long enough that each target sits well below the fold "
    "of the window, so that following a link has to scroll the page to reach it." for n in range(25))
ARTICLE = f"""Title: References in a browser
Date: 2026-11-25
Slug: references-in-a-browser
Bibliography: refs.bib

Normalisation [@ioffe2015] is defined in @eq-bn and discussed in @sec-why.

{FILLER}

## Why it helps {{#sec-why}}

$$
\\hat{{x}} = \\frac{{x - \\mu}}{{\\sqrt{{\\sigma^2 + \\epsilon}}}}
$$ {{#eq-bn}}

{FILLER}

As @ioffe2015 put it, and as @santurkar2018 disputed.

{FILLER}
"""
BIB = """@inproceedings{ioffe2015,
  author = {Ioffe, Sergey and Szegedy, Christian},
  title = {Batch Normalization},
  booktitle = {ICML},
  year = {2015}
}
@inproceedings{santurkar2018,
  author = {Santurkar, Shibani and Tsipras, Dimitris and Ilyas, Andrew and Madry, Aleksander},
  title = {How Does Batch Normalization Help Optimization?},
  booktitle = {NeurIPS},
  year = {2018}
}
"""


@pytest.fixture(scope="module")
def references_site(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("refsite")
    output = build_fixture_site(root, {"refs.md": ARTICLE, "refs.bib": BIB}, EXECBLOCKS_MODE="off")
    with serve(output) as url:
        yield url + "references-in-a-browser.html"


IN_VIEW = """id => {
  const box = document.getElementById(id).getBoundingClientRect();
  return box.top >= 0 && box.top < window.innerHeight;
}"""


@pytest.mark.browser
@pytest.mark.slow
def test_cross_reference_and_citation_back_link_go_to_their_targets(contexts, references_site):
    page = contexts("desktop").new_page()
    try:
        page.goto(references_site, wait_until="load")
        link = page.locator('a.cross-ref[href="#eq-bn"]')
        assert link.inner_text().replace("\xa0", " ") == "Equation 1"
        assert page.locator("#eq-bn .equation-number").inner_text() == "(1)"
        assert not page.evaluate(IN_VIEW, "eq-bn")
        link.click()
        page.wait_for_url("**#eq-bn")
        page.wait_for_function(IN_VIEW, arg="eq-bn")

        section = page.locator('a.cross-ref[href="#sec-why"]')
        assert section.inner_text().replace("\xa0", " ") == "Section 1"
        section.click()
        page.wait_for_url("**#sec-why")
        page.wait_for_function(IN_VIEW, arg="sec-why")

        # The second citation of ioffe2015 is the narrative one; its entry links back to it.
        page.locator("#cite-ioffe2015-2").click()
        page.wait_for_url("**#ref-ioffe2015")
        page.wait_for_function(IN_VIEW, arg="ref-ioffe2015")
        assert page.locator("#ref-ioffe2015").inner_text().startswith("Ioffe, S. and Szegedy, C. (2015)")
        page.locator('#ref-ioffe2015 a.ref-backlink[href="#cite-ioffe2015-1"]').click()
        page.wait_for_url("**#cite-ioffe2015-1")
        page.wait_for_function(IN_VIEW, arg="cite-ioffe2015-1")
        assert page.evaluate("document.querySelector(':target').textContent") == "Ioffe and Szegedy, 2015"
    finally:
        page.close()


@pytest.mark.browser
def test_opted_in_vega_lite_chart_is_drawn_by_the_themes_own_vega(contexts, tmp_path):
    from execblocks.config import BlockOptions
    from execblocks.render.mime import render_data

    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "mark": "bar",
            "data": {"values": [{"run": "bn", "loss": 0.3}, {"run": "plain", "loss": 0.7}]},
            "encoding": {"x": {"field": "run", "type": "nominal"}, "y": {"field": "loss", "type": "quantitative"}}}
    mime = "application/vnd.vegalite.v5+json"
    from execblocks.render.libraries import BrowserLibraries

    chart = render_data(mime, {mime: spec}, BlockOptions(interactive=True))
    # Vega as the build copies it into a site: from the npm packages package.json pins.
    installed = dict((target, source) for source, target in BrowserLibraries.for_project(REPO).files("vega") or ())
    assert installed, "Vega is not installed: run `npm ci` (package.json pins vega and vega-lite)"
    scripts = "".join(f'<script src="{path.as_uri()}"></script>'
                      for path in (installed["vega/vega.min.js"], installed["vega/vega-lite.min.js"],
                                   REPO / "theme" / "static" / "js" / "vega-charts.js"))
    (tmp_path / "chart.html").write_text(f"<!doctype html><html><head>{scripts}</head><body>{chart}</body></html>")
    page = contexts("desktop").new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: r.url.startswith("http") and errors.append(f"network request {r.url}"))
    try:
        page.goto((tmp_path / "chart.html").as_uri(), wait_until="load")
        page.wait_for_selector('.vega-chart[data-vega-drawn="true"] svg')
        # Two bars, one per row of data: the spec itself was drawn, not a placeholder.
        assert page.locator(".vega-chart svg path[aria-roledescription='bar']").count() == 2
        assert errors == []
    finally:
        page.close()
