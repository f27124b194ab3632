"""Jupyter widgets and interactive charts on the page: drawn from the stored widget state by
the browser libraries the site ships, or, where a library is not installed, their best static
alternative with one warning at file:line (render/widgets.py, render/libraries.py)."""

import json
import re

import nbformat

from execblocks.render.libraries import BrowserLibraries
from execblocks.site.browser_libraries import place
from support import installed_libraries, render

VIEW = "application/vnd.jupyter.widget-view+json"


def display(data: dict):
    return nbformat.v4.new_output("display_data", data=data)


def model(name: str, module: str, **state) -> dict:
    return {"model_name": name, "model_module": module, "model_module_version": "^0.20",
            "state": {"_model_name": name, "_model_module": module, "_view_module": module, **state}}


# An ipyleaflet map as nbclient stores it (trimmed): the map refers to its layout and a tile
# layer; an unrelated slider was created by another block and never shown on this page.
STATE = {"widgets": {"application/vnd.jupyter.widget-state+json": {"version_major": 2, "version_minor": 0, "state": {
    "map1": model("LeafletMapModel", "jupyter-leaflet", layers=["IPY_MODEL_tiles"], layout="IPY_MODEL_lay",
                  controls=[]),
    "tiles": model("LeafletTileLayerModel", "jupyter-leaflet", url="https://tiles.example/{z}/{x}/{y}.png",
                   attribution='<a href="https://osm.org">OSM</a><img src=x onerror="alert(1)"></script>'),
    "lay": model("LayoutModel", "@jupyter-widgets/base", height="400px"),
    "other": model("IntSliderModel", "@jupyter-widgets/controls", value=3),
}}}}
MAP = {VIEW: {"model_id": "map1", "version_major": 2, "version_minor": 0}, "text/plain": "Map(center=[52.2, 0.1])"}


def scripts(html: str, kind: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(rf'<script type="application/vnd\.jupyter\.widget-{kind}\+json">(.*?)</script>',
                                              html, re.S)]


def test_a_widget_is_drawn_from_the_stored_state_captioned_and_numbered():
    html, rendered = render("```{python}\n#| label: fig-map\n#| fig-cap: Where we are\nm\n```\n", [display(MAP)],
                            metadata=STATE)
    assert '<figure class="cell-figure cell-output-widget" id="fig-map">' in html
    assert '<span class="figure-number">Figure 1.</span> Where we are</figcaption>' in html
    assert 'aria-label="Where we are"' in html and "Map(center" not in html
    assert "needs JavaScript" in html  # what the container says until the widget is drawn
    assert [v["model_id"] for v in scripts(html, "view")] == ["map1"]
    [state] = scripts(html, "state")  # one state script for the page, after the views
    assert html.index("widget-state+json") > html.index("widget-view+json")
    assert sorted(state["state"]) == ["lay", "map1", "tiles"]  # what the map needs, not the slider
    assert state["version_major"] == 2
    attribution = state["state"]["tiles"]["state"]["attribution"]
    assert 'href="https://osm.org"' in attribution and "onerror" not in attribution and "<script" not in attribution
    payload = html.split('widget-state+json">')[1].split("</script>")[0]
    assert "<" not in payload  # the state can never close its script element
    assert rendered.scripts == {"widgets"} and rendered.widget_modules == {"jupyter-leaflet"}
    assert rendered.warnings == []


def test_an_uncaptioned_widget_is_named_by_its_kind_and_not_numbered():
    html, _ = render("```{python}\nm\n```\n", [display(MAP)], metadata=STATE)
    assert 'aria-label="A Map widget"' in html and "figure-number" not in html


def test_a_widget_library_not_installed_here_gives_the_static_alternative_and_one_warning(tmp_path):
    libraries = installed_libraries(tmp_path, widget_modules=())  # html-manager, but no jupyter-leaflet
    html, rendered = render("```{python}\nm\nm\n```\n", [display(MAP), display(MAP)], metadata=STATE,
                            libraries=libraries)
    assert "widget-view+json" not in html and "widget-state+json" not in html
    assert html.count("Here the notebook shows a Map widget") == 2  # never an empty box, never the repr
    assert "Map(center" not in html
    assert rendered.warnings == ["content/a.md:1: a Map widget is shown as a note: no bundle of its widget library "
                                 "`jupyter-leaflet` is installed here (its Python package installs one in "
                                 "share/jupyter/nbextensions/jupyter-leaflet/)"]
    assert rendered.scripts == set()


def test_a_widget_with_html_shows_its_html_when_it_cannot_be_drawn(tmp_path):
    data = dict(MAP, **{"text/html": "<p>A map of <b>Cambridge</b></p><script>x()</script>"})
    html, rendered = render("```{python}\nm\n```\n", [display(data)], libraries=installed_libraries(tmp_path))
    assert "<p>A map of <b>Cambridge</b></p>" in html and "<script>x()" not in html
    assert rendered.warnings[0].startswith("content/a.md:1: a Map widget is shown as its text/html: "
                                           "the run stored no state for it")


def test_without_the_widget_manager_the_warning_says_to_run_npm_ci(tmp_path):
    html, rendered = render("```{python}\nm\n```\n", [display(MAP)], metadata=STATE,
                            libraries=BrowserLibraries(node_roots=(tmp_path,), nbextensions=(tmp_path,),
                                                       package_dir=lambda name: None))
    assert "Here the notebook shows a Map widget" in html
    assert "run `npm ci`" in rendered.warnings[0] and "@jupyter-widgets/html-manager" in rendered.warnings[0]


PLOTLY = {"application/vnd.plotly.v1+json": {"data": [{"type": "scatter", "x": [1], "y": [2]}], "layout": {}},
          "text/html": '<div id="p"></div><script src="https://cdn.plot.ly/plotly.min.js"></script>',
          "text/plain": "Figure({'data': [...]})"}


def test_a_chart_uses_its_library_and_the_page_asks_for_it():
    html, rendered = render("```{python}\nfig\n```\n", [display(PLOTLY)])
    assert 'class="plotly-chart"' in html and rendered.scripts == {"plotly"}


def test_a_chart_whose_library_is_not_installed_is_a_note_and_a_warning_naming_the_package(tmp_path):
    libraries = BrowserLibraries(node_roots=(tmp_path,), nbextensions=(), package_dir=lambda name: None)
    html, rendered = render("```{python}\nfig\nfig\n```\n", [display(PLOTLY), display(PLOTLY)], libraries=libraries)
    assert "plotly-chart" not in html and "Figure({" not in html and "cdn.plot.ly" not in html
    assert html.count("Here the notebook shows an interactive Plotly chart") == 2
    assert not re.search(r'<div class="cell-output[^"]*">\s*</div>', html)  # the CDN shell is not shown
    assert rendered.warnings == ["content/a.md:1: an interactive Plotly chart is shown as a note: its library is not "
                                 "installed here: plotly.js comes with the `plotly` Python package: add `plotly` to "
                                 "requirements.txt and run `.venv/bin/pip install -r requirements.txt`"]


def test_the_libraries_are_found_where_npm_and_pip_install_them(tmp_path):
    libraries = installed_libraries(tmp_path)
    targets = {target for _, target in libraries.files("vega")}
    assert targets == {"vega/vega.min.js", "vega/vega-lite.min.js", "vega/LICENSE-vega", "vega/LICENSE-vega-lite"}
    assert [t for _, t in libraries.files("plotly")] == ["plotly/plotly.min.js"]
    assert "widgets/require.js" in {t for _, t in libraries.files("widgets")}
    assert [t for _, t in libraries.module_files("jupyter-leaflet")] == ["widgets/modules/jupyter-leaflet/index.js"]
    (tmp_path / "node_modules/vega-lite/build/vega-lite.min.js").unlink()
    fresh = BrowserLibraries(node_roots=(tmp_path,), nbextensions=(tmp_path / "nbextensions",))
    assert fresh.files("vega") is None  # one file missing: the library is not installed
    assert fresh.widget_module("../nbextensions/jupyter-leaflet") is None  # a name, never a path


def test_place_keeps_an_unchanged_copy_and_replaces_a_different_one(tmp_path):
    source, target = tmp_path / "lib.js", tmp_path / "site" / "lib.js"
    source.write_text("one")
    place(source, target)
    assert target.read_text() == "one"
    inode = target.stat().st_ino
    place(source, target)
    assert target.stat().st_ino == inode  # kept, not written again
    source.write_text("two!")
    place(source, target)
    assert target.read_text() == "two!" and target.stat().st_ino != inode  # renamed over, never written in place
