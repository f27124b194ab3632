"""Articles other people wrote (tests/corpus: Quarto's demo documents and Palmer Penguins
notebook, its getting-started computations notebook) in a real browser: a callout, a
Plotly and a Vega-Lite (Altair) chart are drawn by the JavaScript the site ships, with no
console error and no request leaving the host, and a sub-figure cross-reference takes the
reader to its sub-figure."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fixture_sites import REPO, serve

sys.path.insert(0, str(REPO / "tests" / "corpus"))
from corpus_build import prepare  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CASES = ("quarto-demo-basics", "quarto-demo-crossref", "quarto-computations", "quarto-penguins")


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory) -> str:
    """The four articles, unchanged (but for their documented changes), in one site."""
    import contextlib

    from pelican import Pelican
    from pelican.settings import read_settings

    root = tmp_path_factory.mktemp("corpus-site")
    for case in CASES:
        prepare(case, root)
    settings = read_settings(str(REPO / "pelicanconf.py"), override={
        "PATH": str(root / "content"), "OUTPUT_PATH": str(root / "output"), "EXECBLOCKS_ROOT": str(root),
        "CACHE_PATH": str(root / "cache"), "THEME": str(REPO / "theme"), "PLUGIN_PATHS": [str(REPO / "plugins")]})
    with contextlib.chdir(REPO):
        Pelican(settings).run()
    with serve(root / "output") as url:
        yield url


def visit(contexts, url: str):
    """The page at `url`, with every console error, page error and request that left the host."""
    page = contexts("desktop").new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    host = url.split("/")[2]
    page.on("request", lambda r: problems.append(f"request left the host: {r.url}")
            if r.url.split("/")[2] != host and not r.url.startswith("data:") else None)
    page.goto(url)
    return page, problems


def test_callout_and_vega_lite_chart_render(corpus_site, contexts):
    page, problems = visit(contexts, corpus_site + "penguins.html")
    page.wait_for_selector(".vega-chart[data-vega-drawn]")
    chart = page.locator("#fig-bill-scatter .vega-chart")
    assert chart.locator("svg .mark-symbol path").count() > 300  # one circle per penguin (344, less missing)
    assert "needs JavaScript" not in chart.inner_text()
    assert "Figure 2." in page.locator("#fig-bill-scatter figcaption").inner_text()
    page.close()

    page, more = visit(contexts, corpus_site + "basics-jupyter.html")
    callout = page.locator(".callout.callout-tip")
    assert callout.is_visible() and callout.locator(".callout-title").inner_text() == "Learn more"
    assert page.locator("h2", has_text="Learn more").count() == 0
    page.close()
    assert problems + more == []


def test_plotly_chart_renders(corpus_site, contexts):
    page, problems = visit(contexts, corpus_site + "computations.html")
    page.wait_for_selector(".plotly-chart[data-plotly-drawn]")
    chart = page.locator(".plotly-chart")
    assert chart.locator("svg.main-svg").count() >= 1
    assert chart.locator(".scatterlayer .trace").count() == 5  # one trace per continent
    box = chart.bounding_box()
    assert box["width"] > 300 and box["height"] > 300
    page.close()
    assert problems == []


def test_a_sub_figure_reference_lands_on_its_sub_figure(corpus_site, contexts):
    page, problems = visit(contexts, corpus_site + "crossref-jupyter.html")
    link = page.locator("a.cross-ref", has_text="Figure 2(a)")
    assert link.get_attribute("href") == "#fig-multiple-1"
    page.set_viewport_size({"width": 1280, "height": 500})  # the target is below the fold
    link.click()
    page.wait_for_function("location.hash === '#fig-multiple-1'")
    target = page.locator("#fig-multiple-1")
    page.wait_for_function("""() => { const r = document.getElementById('fig-multiple-1').getBoundingClientRect();
                                       return r.top >= -1 && r.top < window.innerHeight; }""")
    assert "(a)" in target.locator("figcaption").inner_text() and "First" in target.inner_text()
    page.close()
    assert problems == []
