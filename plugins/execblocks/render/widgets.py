"""Jupyter widgets (ipywidgets, ipyleaflet, ...) drawn in the reader's browser, as nbconvert's
HTML export and Jupyter Book show them: from the widget state the run stored.

Execution stores the state: nbclient's `store_widget_state` (on) records every widget's
model as the kernel opens and updates it, and puts it in the executed notebook's metadata
(`widgets` / `application/vnd.jupyter.widget-state+json`), which the store keeps with the
outputs. A page gets, for each widget a block shows, its view
(`<script type="application/vnd.jupyter.widget-view+json">`) in a container that says
what it holds until it is drawn (never an empty box), and once, after the last block, the
state of the models those views need. `@jupyter-widgets/html-manager` (from npm, never a
CDN) draws them: theme/static/js/jupyter-widgets.js gives its HTMLManager a loader that
takes a widget library's bundle from the site alone (the notebook extension its Python
package installs, e.g. jupyter-leaflet's, copied by the build: render/libraries.py), and
has no fallback to unpkg or jsDelivr. The state is inert JSON (`<`, `>`, `&` escaped); the
fields that widget libraries insert as HTML (an HTML widget's value, a description that
allows HTML, a map layer's attribution, an Output widget's HTML) are sanitised like any
HTML a block prints (render/sanitize.py).

A widget is a figure like a chart: numbered and captioned when it has a label or a caption,
its `aria-label` from fig-alt, the caption, or its kind ("A Map widget").

Where it cannot be drawn (a widget library with no bundle installed here, the manager not
installed, or a state the run did not store), the output's best static alternative is
shown (an image, its HTML, or a note naming the widget; never its text repr), and the
build warns once per article and cause, at the block's file:line.

Map tiles. A Leaflet map (ipyleaflet) asks the tile server its author named for the
images of the area in view, when the reader looks at it, as the map does in Jupyter and in
nbconvert's and Quarto's pages. Those requests are the map's content, which the author
chose, not the site's chrome: the site still ships every script and style itself, and the
tile URL in the stored state (which the author set, or the basemap they picked) is the one
other host the page contacts. Proxying or pre-rendering tiles would freeze a map the reader
is meant to pan and zoom, and the static alternative (no map) is what a reader without
JavaScript gets. So a map's tiles are loaded from its tile server; the browser test
(tests/browser/test_foreign_articles.py) holds the page to exactly that: every request that
leaves the site is for the tile URL the author set.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

from execblocks.render.sanitize import sanitize_html

VIEW_MIME = "application/vnd.jupyter.widget-view+json"
STATE_MIME = "application/vnd.jupyter.widget-state+json"
MODEL_REF = re.compile(r"^IPY_MODEL_(.+)$")
REPR_NAME = re.compile(r"\s*([A-Za-z_][\w.]*)\(")
# Model fields that widget libraries put into the page as HTML.
HTML_MODELS = {"HTMLModel", "HTMLMathModel"}
HTML_FIELDS = ("attribution",)  # Leaflet layers' and controls' attribution
# What an Output widget's outputs may keep (text/html sanitised; views of nested widgets).
OUTPUT_MIMES = {"text/plain", "text/html", "image/png", "image/jpeg", "image/gif",
                VIEW_MIME}


@dataclass
class WidgetState:
    """The run's stored widget state: model id -> {model_name, model_module, state, ...}."""

    models: dict[str, dict] = field(default_factory=dict)
    version: tuple[int, int] = (2, 0)

    @classmethod
    def of(cls, notebook) -> "WidgetState":
        stored = (notebook.get("metadata", {}) or {}).get("widgets", {}).get(STATE_MIME) if notebook else None
        if not isinstance(stored, dict) or not isinstance(stored.get("state"), dict):
            return cls()
        return cls(dict(stored["state"]), (int(stored.get("version_major", 2)), int(stored.get("version_minor", 0))))

    def needed(self, model_id: str) -> list[str] | None:
        """The model and every model it refers to (`IPY_MODEL_<id>` anywhere in its state),
        in a stable order; None when one of them was not stored."""
        seen: dict[str, None] = {}
        stack = [model_id]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            if current not in self.models:
                return None
            seen[current] = None
            stack.extend(reversed(_references(self.models[current].get("state", {}))))
        return list(seen)

    def modules(self, ids: list[str]) -> list[str]:
        """The widget libraries (JavaScript modules) these models' classes and views come from."""
        found: dict[str, None] = {}
        for model_id in ids:
            model = self.models[model_id]
            state = model.get("state", {})
            for module in (model.get("model_module") or state.get("_model_module"), state.get("_view_module")):
                if module:
                    found[str(module)] = None
        return list(found)

    def kind(self, model_id: str) -> str:
        """What a reader would call it: the Python class name less "Model" ("Map", "IntSlider")."""
        name = str(self.models.get(model_id, {}).get("model_name", ""))
        name = re.sub(r"^Leaflet", "", name.removesuffix("Model")) if name else ""
        return name or "Jupyter"


def view_of(data: dict) -> str | None:
    """The model id a widget view output shows, or None."""
    view = data.get(VIEW_MIME)
    if isinstance(view, str):
        try:
            view = json.loads(view)
        except ValueError:
            return None
    if isinstance(view, dict) and isinstance(view.get("model_id"), str):
        return view["model_id"]
    return None


def repr_name(data: dict) -> str | None:
    """The widget's class name from its text repr ("Map(center=...)" -> "Map")."""
    plain = data.get("text/plain", "")
    plain = "".join(plain) if isinstance(plain, list) else str(plain)
    match = REPR_NAME.match(plain)
    return match.group(1) if match else None


def _references(value: Any) -> list[str]:
    found = []
    if isinstance(value, str):
        match = MODEL_REF.match(value)
        if match:
            found.append(match.group(1))
    elif isinstance(value, dict):
        for item in value.values():
            found += _references(item)
    elif isinstance(value, list):
        for item in value:
            found += _references(item)
    return found


def inert_json(value: Any) -> str:
    """JSON that can never close its script element (`<`, `>`, `&` escaped)."""
    return (json.dumps(value, sort_keys=True).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


def view_html(model_id: str, label: str, kind: str, version: tuple[int, int]) -> str:
    """The widget's container: a line that says what it is until it is drawn, and its view."""
    view = {"model_id": model_id, "version_major": version[0], "version_minor": version[1]}
    return (f'<div class="jupyter-widget" role="group" aria-label="{html.escape(label, quote=True)}">'
            f'<p class="widget-fallback">{html.escape(label)} (an interactive widget: '
            f'it needs JavaScript)</p>'
            f'<script type="{VIEW_MIME}">{inert_json(view)}</script></div>')


def state_html(state: WidgetState, ids: list[str]) -> str:
    """The page's one widget-state script: the models its views need, HTML fields sanitised."""
    models = {model_id: _sanitised(state.models[model_id]) for model_id in ids}
    payload = {"version_major": state.version[0], "version_minor": state.version[1], "state": models}
    return f'<script type="{STATE_MIME}">{inert_json(payload)}</script>'


def _sanitised(model: dict) -> dict:
    model = json.loads(json.dumps(model))  # a copy: the stored notebook stays as it was
    state = model.get("state", {})
    name = model.get("model_name") or state.get("_model_name")
    if name in HTML_MODELS and isinstance(state.get("value"), str):
        state["value"] = sanitize_html(state["value"])
    if isinstance(state.get("description"), str) and state.get("description_allow_html"):
        state["description"] = sanitize_html(state["description"])
    for key in HTML_FIELDS:
        if isinstance(state.get(key), str):
            state[key] = sanitize_html(state[key])
    if name == "OutputModel" and isinstance(state.get("outputs"), list):
        for output in state["outputs"]:
            data = output.get("data") if isinstance(output, dict) else None
            if not isinstance(data, dict):
                continue
            # What JupyterLab's renderers would run or load (JavaScript, SVG with its own
            # scripts) is dropped; HTML is sanitised.
            for mime in [m for m in data if m not in OUTPUT_MIMES]:
                del data[mime]
            if "text/html" in data:
                value = data["text/html"]
                data["text/html"] = sanitize_html("".join(value) if isinstance(value, list) else str(value))
    return model
