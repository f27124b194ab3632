"""outputs: each rich representation a block can display, as it reaches the page."""

import json

import nbformat
import pytest

from execblocks.config import BlockOptions
from execblocks.render.mime import pick_mime, render_data
from support import render

PANDAS_HTML = """<div>
<style scoped>.dataframe tbody tr th { vertical-align: top; }</style>
<table border="1" class="dataframe">
  <thead><tr style="text-align: right;"><th></th><th>loss</th></tr></thead>
  <tbody><tr><th>0</th><td onmouseover="steal()">0.25</td></tr></tbody>
</table>
</div>"""


def display(data: dict, metadata: dict | None = None):
    return nbformat.v4.new_output("display_data", data=data, metadata=metadata or {})


def test_mime_priority_is_jupyterlabs():
    both = {"text/plain": "x", "text/html": "<b>x</b>", "text/markdown": "**x**", "image/png": "..."}
    assert pick_mime(both) == "text/html"
    assert pick_mime({"text/plain": "x", "text/markdown": "*x*"}) == "text/markdown"
    assert pick_mime({"text/plain": "x", "text/latex": "$x$", "application/json": {}}) == "text/latex"
    assert pick_mime({"text/plain": "x", "image/svg+xml": "<svg/>", "image/png": "..."}) == "image/svg+xml"
    assert pick_mime({}) is None


def test_markdown_output_is_rendered_and_sanitised():
    html, _ = render("```{python}\ndisplay(Markdown('...'))\n```\n", [display({
        "text/markdown": "**Bold** and $x^2$\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>alert(1)</script>",
        "text/plain": "<IPython.core.display.Markdown object>"})])
    assert '<div class="cell-output cell-output-display"><p><strong>Bold</strong> and ' \
           '<span class="arithmatex">\\(x^2\\)</span></p>' in html
    assert "<td>1</td>" in html
    assert "<script" not in html and "alert(1)" not in html
    assert "IPython.core.display.Markdown" not in html


def test_latex_output_is_display_math_for_the_math_renderer():
    html, _ = render("```{python}\ndisplay(Latex(...))\n```\n",
                     [display({"text/latex": "$$\\frac{a}{b} < c$$", "text/plain": "<Latex>"})])
    assert '<div class="arithmatex">\\[\\frac{a}{b} &lt; c\\]</div>' in html


def test_dataframe_html_is_a_sanitised_styled_table_not_a_repr():
    html, _ = render("```{python}\ndf\n```\n", [nbformat.v4.new_output(
        "execute_result", data={"text/html": PANDAS_HTML, "text/plain": "   loss\n0  0.25"}, execution_count=1)])
    assert '<table class="dataframe">' in html
    assert "<td>0.25</td>" in html
    assert "<style" not in html and "vertical-align" not in html and "onmouseover" not in html
    assert "<pre>" not in html.split('class="cell-code"')[1].split("</div>", 1)[1]


def test_json_is_pretty_printed_and_escaped():
    html, _ = render("```{python}\nJSON(...)\n```\n",
                     [display({"application/json": {"tag": "<b>", "n": [1, 2]}, "text/plain": "<JSON>"})])
    assert '<pre class="json">{\n  &quot;tag&quot;: &quot;&lt;b&gt;&quot;,\n  &quot;n&quot;: [\n    1,\n' in html


def test_plain_text_is_escaped():
    out = render_data("text/plain", {"text/plain": "<Axes>"}, BlockOptions())
    assert out == '<div class="cell-output cell-output-display"><pre>&lt;Axes&gt;</pre></div>'


def test_tbl_cap_numbers_the_first_table_of_each_block():
    text = ("```{python}\n#| tbl-cap: Losses <by> run\n#| label: tbl-losses\ndf\n```\n\n"
            "```{python}\n#| tbl-cap: Markdown one\ndisplay(Markdown(t))\n```\n")
    html, rendered = render(text, [display({"text/html": PANDAS_HTML}), display({"text/html": PANDAS_HTML})])
    assert ('<table class="dataframe" id="tbl-losses"><caption><span class="table-number">Table 1.</span> '
            'Losses &lt;by&gt; run</caption>') in html
    assert html.count("<caption>") == 1  # the block's second table is not a second "Table 1"
    assert rendered.tables == [0]


def test_tbl_cap_on_markdown_table_output():
    out = render_data("text/markdown", {"text/markdown": "| a |\n|---|\n| 1 |"},
                      BlockOptions(tbl_cap="From Markdown", label="tbl-md"), lambda: 3)
    assert '<table id="tbl-md"><caption><span class="table-number">Table 3.</span> From Markdown</caption>' in out


def test_tbl_cap_replaces_the_outputs_own_caption():
    out = render_data("text/html", {"text/html": "<table>\n<caption>old</caption><tr><td>1</td></tr></table>"},
                      BlockOptions(tbl_cap="New", label="tbl-x"), lambda: 1)
    assert '<table id="tbl-x"><caption><span class="table-number">Table 1.</span> New</caption><tbody>' in out
    assert "old" not in out


def test_a_tbl_label_alone_numbers_the_table_keeping_its_own_caption():
    """A computed table the article names (`label: tbl-x`) is numbered even without `tbl-cap`."""
    out = render_data("text/html", {"text/html": "<table><caption>Own <b>words</b></caption><tr><td>1</td></tr></table>"},
                      BlockOptions(label="tbl-x"), lambda: 2)
    assert '<table id="tbl-x"><caption><span class="table-number">Table 2.</span> Own <b>words</b></caption>' in out
    bare = render_data("text/html", {"text/html": "<table><tr><td>1</td></tr></table>"}, BlockOptions(label="tbl-y"),
                       lambda: 1)
    assert '<table id="tbl-y"><caption><span class="table-number">Table 1.</span></caption>' in bare
    plain = render_data("text/html", {"text/html": "<table><tr><td>1</td></tr></table>"}, BlockOptions(label="fig-z"),
                        lambda: 1)
    assert "<caption>" not in plain  # another kind of label: no number


VEGA = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "mark": "bar",
        "data": {"values": [{"a": "</script><script>alert(1)</script>"}]}}


def test_vega_lite_is_drawn_unless_the_author_opts_out():
    data = {"application/vnd.vegalite.v5+json": VEGA, "text/plain": "alt.Chart(...)"}
    html, rendered = render("```{python}\nchart\n```\n", [display(data)])
    assert '<div class="vega-chart" data-vega-kind="vegalite" role="img"' in html
    assert "needs JavaScript" in html  # never an empty box, even without JavaScript
    spec = html.split('<script type="application/json" class="vega-spec">')[1].split("</script>")[0]
    assert "<" not in spec  # the spec can never close its script element
    assert json.loads(spec) == VEGA
    assert "figure-number" not in html  # uncaptioned: not numbered

    html, rendered = render("```{python}\n#| interactive: false\nchart\n```\n", [display(data)])
    assert "vega-chart" not in html and "alt.Chart(...)" in html
    assert "content/a.md:1: an interactive chart is shown as text/plain" in rendered.warnings[0]


# What Altair 6's default renderer displays: a page that loads vega-embed from a CDN.
ALTAIR_HTML = ('<style>#altair-viz-1.vega-embed {width: 100%}</style><div id="altair-viz-1"></div>'
               '<script type="text/javascript">(function(spec, embedOpt){})\n'
               '  var spec = {"$schema": "https://vega.github.io/schema/vega-lite/v6.4.1.json", '
               '"mark": "point", "title": "Bills"};\n  var embedOpt = {"mode": "vega-lite"};\n'
               '  vegaEmbed("#altair-viz-1", spec, embedOpt);</script>')


# Altair 6's "universal" template (its default): the spec is the argument of its function.
ALTAIR_UNIVERSAL = ('<div id="altair-viz-2"></div><script type="text/javascript">\n'
                    '  (function(spec, embedOpt){\n    const paths = {"vega-embed": '
                    '"https://cdn.jsdelivr.net/npm/vega-embed@7?noext"};\n  })({"$schema": '
                    '"https://vega.github.io/schema/vega-lite/v6.4.1.json", "mark": "point", "title": "Bills"}, '
                    '{"mode": "vega-lite"});\n</script>')


@pytest.mark.parametrize("altair_html", [ALTAIR_HTML, ALTAIR_UNIVERSAL])
def test_an_altair_html_chart_is_drawn_from_its_spec_captioned_and_numbered(altair_html):
    data = {"text/html": altair_html, "text/plain": "alt.Chart(...)"}
    html, _ = render("```{python}\n#| label: fig-bills\n#| fig-cap: Bill sizes\nchart\n```\n", [display(data)])
    assert '<figure class="cell-figure cell-output-chart cell-output-vega" id="fig-bills">' in html
    assert '<span class="figure-number">Figure 1.</span> Bill sizes</figcaption>' in html
    assert 'aria-label="Bill sizes"' in html and "cdn" not in html.lower() and "vegaEmbed" not in html
    spec = json.loads(html.split('class="vega-spec">')[1].split("</script>")[0])
    assert spec["mark"] == "point"


def test_a_plotly_figure_is_drawn_by_the_shipped_plotly():
    data = {"application/vnd.plotly.v1+json": {"data": [{"type": "scatter", "x": [1], "y": [2]}],
                                               "layout": {"title": {"text": "Life expectancy"}}}}
    html, _ = render("```{python}\nfig.show()\n```\n", [display(data)])
    assert '<div class="plotly-chart" role="img" aria-label="Life expectancy">' in html
    spec = json.loads(html.split('class="plotly-spec">')[1].split("</script>")[0])
    assert spec["data"][0]["y"] == [2]


def test_a_plotly_figure_with_interactive_false_says_it_has_no_static_form():
    """Plotly's bundle in a notebook (its JSON, and HTML that loads Plotly from a CDN) holds no
    image: `interactive: false` gets a note that says so, never the HTML's empty box."""
    go = pytest.importorskip("plotly.graph_objects")  # installed with the test requirements
    import plotly.io as pio

    default = pio.renderers.default
    pio.renderers.default = "plotly_mimetype+notebook_connected"  # what a notebook's kernel uses
    try:  # IPython's display protocol, as the kernel calls it
        bundle = go.Figure(go.Scatter(x=[1], y=[2]))._repr_mimebundle_(include=None, exclude=None)
    finally:
        pio.renderers.default = default
    assert "cdn" in bundle["text/html"]  # the real bundle: what the note replaces
    html, rendered = render("```{python}\n#| interactive: false\nfig.show()\n```\n", [display(bundle)])
    assert "plotly-chart" not in html and "<script" not in html
    assert ("Here the notebook shows an interactive Plotly chart; this block asks for a static form of it "
            "(interactive: false), and the output holds none.") in html
    assert rendered.warnings == ["content/a.md:1: an interactive Plotly chart is shown as a note: the block asks "
                                 "for its static form (interactive: false) and the output holds none"]


@pytest.mark.parametrize("mime", ["text/html", "text/markdown"])
def test_outputs_never_carry_scripts_or_ids(mime):
    out = render_data(mime, {mime: '<p id="content" onclick="x()">hi</p><script>x()</script>'}, BlockOptions())
    assert "<p>hi</p>" in out and "script" not in out and "onclick" not in out and 'id="content"' not in out


def test_an_empty_header_cell_becomes_a_data_cell():
    """pandas' corner cell above an unnamed index: a header naming nothing (axe: empty-table-header)."""
    from execblocks.render.mime import render_data

    html = ('<table><thead><tr><th></th><th>acc</th></tr></thead>'
            '<tbody><tr><th>bn</th><td>0.9</td></tr></tbody></table>')
    shown = render_data("text/html", {"text/html": html}, None)
    assert "<td></td><th>acc</th>" in shown and "<th>bn</th>" in shown and "<th></th>" not in shown
