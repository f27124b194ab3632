"""Articles other people wrote (tests/corpus: Quarto's demo documents and Palmer Penguins
notebook, its getting-started computations notebook) in a real browser: a callout, a
Plotly and a Vega-Lite (Altair) chart are drawn by the JavaScript the site ships, with no
console error and no request leaving the host, and a sub-figure cross-reference takes the
reader to its sub-figure. Jupyter widgets (the Quarto demo's ipyleaflet map, an ipywidgets
slider) are drawn from their stored state; the map's only requests to another host are for
the tiles of the URL its author set (answered here by a local stub: nothing leaves the machine)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from fixture_sites import REPO, serve

sys.path.insert(0, str(REPO / "tests" / "corpus"))
from corpus_build import prepare  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CASES = ("quarto-demo-basics", "quarto-demo-crossref", "quarto-computations", "quarto-penguins")
# A plain ipywidgets control beside the corpus' map, captioned like a figure.
SLIDER = """Title: A slider
Date: 2026-12-01
Slug: widget-slider

```{python}
#| label: fig-epochs
#| fig-cap: Epochs to train
import ipywidgets as widgets
widgets.IntSlider(value=3, min=1, max=10, description="epochs")
```
"""
# A 1x1 PNG: what the stub tile server answers.
TILE = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478"
                     "9c6360000002000154a24f5d0000000049454e44ae426082")


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory) -> str:
    """The four articles, unchanged (but for their documented changes), in one site."""
    import contextlib

    from pelican import Pelican
    from pelican.settings import read_settings

    root = tmp_path_factory.mktemp("corpus-site")
    for case in CASES:
        prepare(case, root)
    (root / "content" / "widget-slider.md").write_text(SLIDER)
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

    # The page with the callout also has the ipyleaflet map, whose tiles are answered by the stub.
    page, more, outside = widget_page(contexts, corpus_site + "basics-jupyter.html")
    callout = page.locator(".callout.callout-tip")
    assert callout.is_visible() and callout.locator(".callout-title").inner_text() == "Learn more"
    assert page.locator("h2", has_text="Learn more").count() == 0
    tile = tile_url(page)
    page.close()
    assert problems + more == []
    assert all(tile.fullmatch(u) for u in outside), outside


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


def widget_page(contexts, url: str):
    """The page at `url`, its console errors and page errors, and every request for another
    host (answered by a stub tile server, so nothing leaves the machine)."""
    page = contexts("desktop").new_page()
    problems: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    host = url.split("/")[2]

    def stub(route):
        outside.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=TILE)

    page.route(lambda u: not u.startswith("data:") and u.split("/")[2] != host, stub)
    page.goto(url)
    return page, problems, outside


def tile_url(page) -> re.Pattern:
    """The tile URLs of the page's map: its tile layer's URL template from the stored state."""
    state = json.loads(page.locator('script[type="application/vnd.jupyter.widget-state+json"]').text_content())
    [url] = [m["state"]["url"] for m in state["state"].values() if m["model_name"] == "LeafletTileLayerModel"]
    return re.compile(re.escape(url).replace(r"\{z\}", r"\d+").replace(r"\{x\}", r"\d+").replace(r"\{y\}", r"\d+"))


def test_an_ipyleaflet_map_renders_with_its_tiles_and_controls(corpus_site, contexts):
    page, problems, outside = widget_page(contexts, corpus_site + "basics-jupyter.html")
    page.wait_for_selector(".jupyter-widget[data-widget-drawn] .leaflet-container")
    page.wait_for_selector(".leaflet-tile-pane img.leaflet-tile-loaded")
    widget = page.locator(".cell-output-widget .jupyter-widget")
    assert widget.count() == 1 and "needs JavaScript" not in widget.inner_text()
    leaflet = widget.locator(".leaflet-container")
    assert leaflet.locator(".leaflet-tile-pane .leaflet-layer").count() == 1  # the author's basemap
    assert leaflet.locator(".leaflet-control-zoom-in").is_visible()
    assert leaflet.locator(".leaflet-marker-icon").count() == 1  # m.add_layer(Marker(...))
    assert "Global Imagery Browse Services" in leaflet.locator(".leaflet-control-attribution").inner_text()
    box = leaflet.bounding_box()
    assert box["width"] > 300 and box["height"] >= 390  # the map's own 400px layout
    # The only requests for another host: tiles of the URL the author set (the stored state's).
    tile = tile_url(page)
    assert outside and all(tile.fullmatch(u) for u in outside), outside
    # ... which is the basemap and date the .qmd names (NASAGIBS.ModisTerraTrueColorCR, "2017-04-08")
    assert all("/MODIS_Terra_CorrectedReflectance_TrueColor/default/2017-04-08/" in u for u in outside)
    page.close()
    assert problems == []


def test_an_ipywidgets_slider_renders_captioned_and_moves(corpus_site, contexts):
    page, problems, outside = widget_page(contexts, corpus_site + "widget-slider.html")
    page.wait_for_selector(".jupyter-widget[data-widget-drawn] .widget-slider")
    figure = page.locator("#fig-epochs")
    assert "Figure 1." in figure.locator("figcaption").inner_text()
    assert "Epochs to train" in figure.locator("figcaption").inner_text()
    slider = figure.locator(".widget-slider")
    assert slider.count() == 1 and "epochs" in figure.locator(".widget-label").first.inner_text()
    readout = figure.locator(".widget-readout")
    assert readout.inner_text() == "3"  # the value the block set
    figure.locator(".noUi-handle").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('#fig-epochs .widget-readout').textContent === '4'")
    page.close()
    assert problems == [] and outside == []
