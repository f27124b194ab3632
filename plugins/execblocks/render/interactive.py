"""Interactive outputs -> charts drawn in the reader's browser, as JupyterLab and Quarto
draw them, by JavaScript the site ships (never a CDN): Vega and Vega-Lite from their npm
packages, plotly.js from the plotly Python package's own bundle, copied into the site at
build time (render/libraries.py says from where) and loaded only by pages that have such a
chart (theme/templates/base.html looks for the spec's class).

What is drawn:
- Vega-Lite / Vega specs (`application/vnd.vegalite.v6+json` ... v3, `vnd.vega.v6/v5`);
- an Altair chart's `text/html` (Altair 5 and 6's default renderer writes a page that
  loads vega-embed from a CDN and calls it with the spec): the spec is read back out of it
  (`var spec = {...};`, Altair's template) and drawn like a Vega-Lite bundle; its script
  never reaches the page;
- Plotly figures (`application/vnd.plotly.v1+json`: `{data, layout}`).

The spec travels as inert JSON in `<script type="application/json">` (`<`, `>`, `&` escaped,
so it can never close its script). The container holds a line of text until the chart is
drawn, so a page read without JavaScript, or a chart that fails, is never an empty box.
Jupyter widgets (ipywidgets, ipyleaflet) are render/widgets.py's.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

VEGA_MIME = re.compile(r"^application/vnd\.(?P<kind>vega|vegalite)\.v\d+\+json$")
PLOTLY_MIME = "application/vnd.plotly.v1+json"
ALTAIR_SPEC = re.compile(r"\bvar spec = ")


@dataclass(frozen=True)
class Chart:
    library: str  # "vega" (Vega and Vega-Lite) or "plotly"
    kind: str  # "vegalite" | "vega" | "plotly"
    spec: dict
    source_mime: str  # the representation it came from


def find_chart(data: dict) -> Chart | None:
    """The interactive chart this display bundle holds, if any (JupyterLab's order:
    a vega mime type before text/html)."""
    for mime in sorted(data, key=lambda m: (not VEGA_MIME.match(m), m), reverse=False):
        match = VEGA_MIME.match(mime)
        if match:
            spec = _as_dict(data[mime])
            if spec is not None:
                return Chart("vega", match["kind"], spec, mime)
    if PLOTLY_MIME in data:
        spec = _as_dict(data[PLOTLY_MIME])
        if spec is not None:
            return Chart("plotly", "plotly", {"data": spec.get("data", []), "layout": spec.get("layout", {})},
                         PLOTLY_MIME)
    if "text/html" in data:
        spec = altair_spec(data["text/html"])
        if spec is not None:
            return Chart("vega", "vegalite" if "vega-lite" in str(spec.get("$schema", "")) else "vega",
                         spec, "text/html")
    return None


def altair_spec(value: Any) -> dict | None:
    """The spec inside an Altair chart's HTML (its template's `var spec = {...};`)."""
    text = "".join(value) if isinstance(value, list) else str(value)
    if "vega-embed" not in text:
        return None
    # Altair's templates: `var spec = {...};` (html, requirejs) or, in the "universal" one
    # (the default), the spec as the argument of its function: `})({...}, {embedOpt});`.
    match = ALTAIR_SPEC.search(text)
    start = match.end() if match else (text.rfind("})(") + 3 if "})(" in text else -1)
    if start < 0:
        return None
    try:
        spec, _ = json.JSONDecoder().raw_decode(text, start)
    except ValueError:
        return None
    return spec if isinstance(spec, dict) and "vega" in str(spec.get("$schema", "")) else None


def _as_dict(value: Any) -> dict | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def _inert_json(value: Any) -> str:
    return (json.dumps(value, sort_keys=True).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


def chart_html(chart: Chart, label: str) -> str:
    """The chart's container and its spec. `label`: what a screen reader hears (fig-alt,
    the caption, or the chart's own title)."""
    name = html.escape(label, quote=True)
    if chart.library == "plotly":
        return (f'<div class="plotly-chart" role="img" aria-label="{name}">'
                f'<p class="chart-fallback">{html.escape(label)} (an interactive Plotly chart: it needs JavaScript)</p></div>'
                f'<script type="application/json" class="plotly-spec">{_inert_json(chart.spec)}</script>')
    return (f'<div class="vega-chart" data-vega-kind="{chart.kind}" role="img" aria-label="{name}">'
            f'<p class="chart-fallback">{html.escape(label)} (an interactive chart: it needs JavaScript)</p></div>'
            f'<script type="application/json" class="vega-spec">{_inert_json(chart.spec)}</script>')


def chart_title(chart: Chart) -> str:
    """The chart's own title, for its label when the author gave none."""
    title = chart.spec.get("title") if chart.library == "vega" else chart.spec.get("layout", {}).get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    return str(title) if title else ("A Plotly chart" if chart.library == "plotly" else "A Vega-Lite chart")
