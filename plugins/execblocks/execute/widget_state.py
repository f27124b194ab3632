"""The Jupyter widget state a run leaves in its notebook, made fit to store.

nbclient (`store_widget_state`, on by default and set on explicitly in execute/kernel_run.py)
records every widget model the kernel opens and puts their state in the notebook's metadata
(`widgets` / `application/vnd.jupyter.widget-state+json`), as nbconvert's execution does;
the store keeps it with the outputs and render/widgets.py draws the widgets from it.

- Stable ids: the kernel names each model with a random UUID, so two runs with the same
  outputs would store different bytes. The ids become `widget-1`, `widget-2`... in the
  order the kernel opened the models, everywhere they appear (the state's keys, the
  `IPY_MODEL_<id>` references between models, the outputs' widget views).
- Resuming: a widget's state lives in the front end of the run that drew it (nbclient's),
  not in the kernel's pickled names, so a run may resume only before the first block that
  shows a widget (execute/resume.py asks `shows_widget`).
"""

from __future__ import annotations

import json

STATE_MIME = "application/vnd.jupyter.widget-state+json"
VIEW_MIME = "application/vnd.jupyter.widget-view+json"
REFERENCE = "IPY_MODEL_"


def shows_widget(cell: dict) -> bool:
    """Whether an executed cell displays a widget."""
    return any(VIEW_MIME in (output.get("data") or {}) for output in cell.get("outputs", []))


def stable_ids(nb) -> None:
    """Rename the notebook's widget models `widget-1`, `widget-2`... (in place)."""
    stored = nb.metadata.get("widgets", {}).get(STATE_MIME)
    if not isinstance(stored, dict) or not isinstance(stored.get("state"), dict):
        return
    names = {old: f"widget-{n}" for n, old in enumerate(stored["state"], 1)}

    def rename(value):
        if isinstance(value, str) and value.startswith(REFERENCE) and value[len(REFERENCE):] in names:
            return REFERENCE + names[value[len(REFERENCE):]]
        if isinstance(value, dict):
            return {key: rename(item) for key, item in value.items()}
        if isinstance(value, list):
            return [rename(item) for item in value]
        return value

    stored["state"] = {names[old]: rename(model) for old, model in stored["state"].items()}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = (output.get("data") or {}).get(VIEW_MIME)
            if isinstance(view, str):  # some kernels send JSON as a string
                try:
                    view = json.loads(view)
                except ValueError:
                    continue
                output["data"][VIEW_MIME] = view
            if isinstance(view, dict) and view.get("model_id") in names:
                view["model_id"] = names[view["model_id"]]
