"""render/progress_bars.py: tqdm's notebook bar drawn from the widget state nbclient saved
(the state's shape is the one tests/integration/test_terminal_output.py gets from a real run)."""

from __future__ import annotations

from execblocks.render.progress_bars import WIDGET_VIEW, tqdm_text
from execblocks.render.widgets import STATE_MIME, WidgetState


def saved(left: str, value: float, maximum: float, right: str, hidden: bool = False, kinds=None) -> dict:
    """A notebook's widget metadata for one tqdm bar (ids as nbclient keeps them)."""
    kinds = kinds or ["HTMLModel", "FloatProgressModel", "HTMLModel"]
    states = [{"value": left}, {"value": value, "max": maximum, "bar_style": ""}, {"value": right}]
    models = {f"c{i}": {"model_name": kind, "state": state} for i, (kind, state) in enumerate(zip(kinds, states))}
    models["layout"] = {"model_name": "LayoutModel", "state": {"visibility": "hidden" if hidden else None}}
    models["box"] = {"model_name": "HBoxModel",
                     "state": {"children": [f"IPY_MODEL_c{i}" for i in range(3)], "layout": "IPY_MODEL_layout"}}
    return {"metadata": {"widgets": {STATE_MIME: {"state": models, "version_major": 2, "version_minor": 0}}}}


VIEW = {WIDGET_VIEW: {"model_id": "box", "version_major": 2, "version_minor": 0},
        "text/plain": "train:   0%|          | 0/30 [00:00<?, ?it/s]"}
FS = "\u2007"  # tqdm pads the widget's HTML with figure spaces


def test_the_last_state_is_drawn_as_tqdms_text_bar_at_80_columns():
    right = f"{FS}30/30{FS}[00:02&lt;00:00,{FS}12.10it/s]"
    text = tqdm_text(VIEW, models(saved("train: 100%", 30, 30, right)))
    assert text == "train: 100%|" + "█" * 36 + "| 30/30 [00:02<00:00, 12.10it/s]"
    assert len(text) == 80


def test_a_part_filled_bar_is_the_bar_tqdm_draws():
    from tqdm.std import Bar  # tqdm's own text bar, unicode blocks

    for value, maximum in [(1, 4), (1, 3), (7, 9), (0, 5), (5, 5)]:
        text = tqdm_text(VIEW, models(saved("", value, maximum, f"{FS}{value}/{maximum}")), columns=20)
        width = 20 - 2 - len(f" {value}/{maximum}")
        assert text == f"|{format(Bar(value / maximum, width, charset=Bar.UTF), '')}| {value}/{maximum}", text
    assert tqdm_text(VIEW, models(saved("", 1, 4, f"{FS}1/4")), columns=20) == "|███▌" + " " * 10 + "| 1/4"  # 14 columns: 28 eighths


def test_a_bar_closed_with_leave_false_shows_nothing_and_other_widgets_are_not_bars():
    assert tqdm_text(VIEW, models(saved("x", 1, 1, "", hidden=True))) == ""
    slider = saved("x", 1, 1, "", kinds=["HTMLModel", "IntSliderModel", "HTMLModel"])
    assert tqdm_text(VIEW, models(slider)) is None
    assert tqdm_text(VIEW, {}) is None  # no saved state: the widget's notice, as before
    assert tqdm_text({"text/plain": "x"}, models(saved("x", 1, 1, ""))) is None


def models(notebook: dict) -> dict:
    """The stored models as the page's renderer reads them."""
    return WidgetState.of(notebook).models
