"""tqdm's notebook bar (`tqdm.notebook`, and `tqdm.auto` where ipywidgets is installed) as
the text bar it stands for, in its final state, at the page's 80 columns.

In Jupyter that bar is a widget: an HBox of [HTML (description and percentage),
FloatProgress, HTML (counts, times, rate)] whose values tqdm updates as it runs; the
display itself only says which widget (its text is the bar at 0 %). nbclient keeps every
widget's last state in the notebook's metadata (`application/vnd.jupyter.widget-state+json`,
as JupyterLab saves it), so the bar the author saw last is in the stored notebook: here it
is drawn as tqdm draws in a terminal,

    train: 100%|██████████████████████████████████████| 30/30 [00:02<00:00, 12.1it/s]

and a bar closed with `leave=False`, hidden in Jupyter, shows nothing.
"""

from __future__ import annotations

import html

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
COLUMNS = 80  # the page's terminal width, as the kernel's COLUMNS / TQDM_NCOLS (execute/kernel_run.py)
BLOCKS = " ▏▎▍▌▋▊▉█"  # tqdm's unicode bar: eighths of a column
TQDM_CHILDREN = ["HTMLModel", "FloatProgressModel", "HTMLModel"]  # tqdm.notebook's status_printer


def tqdm_text(data: dict, models: dict[str, dict], columns: int = COLUMNS) -> str | None:
    """The final text of the tqdm bar this display shows ("" when the bar was hidden), or
    None when it is not a tqdm bar whose state was saved. `models`: the stored widget state's
    models by id (render/widgets.py's WidgetState.models)."""
    view = data.get(WIDGET_VIEW)
    box = models.get(view.get("model_id", "")) if isinstance(view, dict) else None
    if not isinstance(box, dict) or box.get("model_name") != "HBoxModel":
        return None
    state = box.get("state", {})
    children = [_model(models, ref) for ref in state.get("children", [])]
    if [child.get("model_name") for child in children] != TQDM_CHILDREN:
        return None
    if _model(models, state.get("layout", "")).get("state", {}).get("visibility") == "hidden":
        return ""  # tqdm's close() with leave=False
    left, right = (_plain(children[i].get("state", {}).get("value", "")) for i in (0, 2))
    progress = children[1].get("state", {})  # no total: tqdm fills it ("info" style), "5/? [...]" beside it
    maximum = progress.get("max") or 1
    fraction = min(max(float(progress.get("value") or 0) / float(maximum), 0.0), 1.0)
    return f"{left}|{_bar(fraction, max(1, columns - len(left) - len(right) - 2))}|{right}"


def _model(models: dict, reference) -> dict:
    found = models.get(str(reference).removeprefix("IPY_MODEL_"))
    return found if isinstance(found, dict) else {}


def _plain(value) -> str:
    """An HTML widget's value as text: tqdm escapes it and pads with figure spaces."""
    return html.unescape(str(value)).replace("\u2007", " ")


def _bar(fraction: float, width: int) -> str:
    """tqdm's unicode bar (tqdm.std.Bar): full blocks, one partial block, then spaces."""
    eighths = int(fraction * width * 8)
    full, part = divmod(eighths, 8)
    if full >= width:
        return BLOCKS[-1] * width
    return BLOCKS[-1] * full + BLOCKS[part] + " " * (width - full - 1)
