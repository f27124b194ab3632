"""The kernel's figure pipeline: after every block (and at `plt.show()`, execkernel/backend.py),
every open matplotlib figure is saved with one fixed policy (PNG, fixed dpi, no metadata:
stable bytes; or SVG, per site or block), twice -- as drawn and recoloured for the dark
theme -- and displayed, then closed; figures over the caps are dropped with a notice, and
one that cannot be saved fails its block. A PNG figure's every rendition (light, dark,
narrower for phones) comes from execkernel/renditions.py.

This module, renditions.py and backend.py are the figure code that FIGURE_PIPELINE
(execkernel/policy.py) stands for; tests/unit/test_figure_pipeline.py fingerprints them
whole. Cheap to import, as hooks.py: matplotlib and numpy only inside the functions.
"""

from __future__ import annotations

import base64
import functools
import io
import sys

from execkernel.policy import KernelPolicy

_figure_policy: dict = {"format": None, "dpi": None}  # a block's fig-format / fig-dpi (figure_options)
_policy = KernelPolicy()  # the site's: hooks.install hands it over (install below)
# The theme's dark background and text colours: a dark rendition sits on the page like text.
DARK_BACKGROUND, DARK_FOREGROUND = "#15171b", "#e3e6ea"


def install(policy: KernelPolicy, shell) -> None:
    """Called by hooks.install: the policy figures are saved with, and (in IPython) the
    hook that saves every open figure after each block."""
    global _policy
    _policy = policy
    if shell is None:
        return
    shell.events.register("post_run_cell", _save_open_figures)
    # A block that ends with a Figure expression would also print "<Figure size ...>";
    # the figure itself is shown by _save_open_figures, so its text repr is empty.
    plain = shell.display_formatter.formatters["text/plain"]
    plain.for_type_by_name("matplotlib.figure", "Figure", lambda fig, p, cycle: None)


def current_options() -> dict:
    """The figure options in force (format, dpi; None: the policy's): a snapshot carries them."""
    return dict(_figure_policy)


def set_figsize(width: float, height: float) -> None:
    """Hidden cell the engine runs before a block with fig-width / fig-height."""
    import matplotlib

    matplotlib.rcParams["figure.figsize"] = (width, height)


def figure_options(format: str | None = None, dpi: float | None = None) -> None:
    """Hidden cell the engine runs before a block whose fig-format / fig-dpi differ from
    the previous block's (None: the policy's, i.e. the site's)."""
    _figure_policy.update(format=format, dpi=dpi)


class FigureError(Exception):
    """A figure the engine could not save: the block fails at its own file and line."""

    def _render_traceback_(self) -> list[str]:
        # IPython's protocol for an exception that shows itself: this one line, not a
        # "Traceback" header over the engine's frames (not the author's business).
        return [f"FigureError: {self}"]


def _save_open_figures(result=None) -> None:
    """post_run_cell hook: save and display every open figure, then close them all.

    IPython swallows a hook's exception and prints the engine's traceback into the
    cell while the cell still counts as a success. Instead, a failure here (a figure
    too large for Agg, a mathtext error that only shows when drawing) becomes the
    block's own error: shown as a FigureError, and reported to the kernel's reply.
    """
    if "matplotlib.pyplot" not in sys.modules:
        return
    import matplotlib.pyplot as plt

    try:
        _publish_figures(plt)
    except Exception as error:  # noqa: BLE001 - every failure becomes the block's error
        _fail_block(result, error)
    finally:
        plt.close("all")


def show_figures() -> None:
    """`plt.show()` in a block (execkernel/backend.py): the figures drawn so far end here,
    through the pipeline, in order; a figure that cannot be saved raises in the block."""
    import matplotlib.pyplot as plt

    try:
        _publish_figures(plt)
    finally:
        plt.close("all")


def _publish_figures(plt) -> None:
    from IPython.display import publish_display_data

    fmt = _figure_policy["format"] or _policy.figure_format
    dpi = _figure_policy["dpi"] or _policy.figure_dpi
    dark = _policy.dark_figures
    max_figures, max_pixels = _policy.max_figures, _policy.max_figure_pixels
    numbers = plt.get_fignums()
    for position, number in enumerate(numbers[:max_figures], start=1):
        figure = plt.figure(number)
        inches_w, inches_h = figure.get_size_inches()
        pixels = round(inches_w * dpi) * round(inches_h * dpi)
        if pixels > max_pixels:
            print(f"figure {position} not shown: {inches_w:g} x {inches_h:g} in at {dpi:g} dpi is "
                  f"{pixels:,} pixels, over EXECBLOCKS_MAX_FIGURE_PIXELS = {max_pixels:,}; "
                  f"make it smaller (fig-width, fig-height, fig-dpi)", file=sys.stderr)
            continue
        try:
            if fmt == "svg":
                mime, (light, size) = "image/svg+xml", _render_svg(figure)
                renditions = {"dark": {mime: _render_dark_svg(figure)}} if dark else {}
            else:
                mime, light, size, renditions = _render_png(figure, dpi, dark)
        except Exception as error:
            raise FigureError(f"figure {position} could not be saved: {type(error).__name__}: {error}") from None
        publish_display_data(
            {mime: light, "text/plain": _figure_title(figure)},
            metadata={mime: size, "execblocks": {"figure": True, **renditions}},
        )
    if len(numbers) > max_figures:
        print(f"{len(numbers) - max_figures} more figures not shown: a block shows at most "
              f"EXECBLOCKS_MAX_FIGURES = {max_figures}", file=sys.stderr)


def _render_png(figure, dpi: float, dark: bool) -> tuple[str, str, dict, dict]:
    """A PNG figure as (mime, its light full-size PNG for the notebook, CSS size in px,
    the execblocks metadata of its other renditions). The notebook's image/png stays
    an ordinary PNG any viewer shows; the rest travels in the metadata, base64, as

        "dark": {"image/png": full-size dark PNG}          (as an SVG figure's dark one)
        "narrower": {"light": [{"width", "png"}...], "dark": [...]}   (widest first)
    """
    from execkernel.renditions import figure_pngs

    pngs = figure_pngs(figure, dpi, _dark_recolouring if dark else None)
    full = pngs.light[0]
    size = {"width": round(full.width * 96 / dpi), "height": round(full.height * 96 / dpi)}

    def listed(encoded) -> list[dict]:
        return [{"width": e.width, "png": base64.b64encode(e.data).decode("ascii")} for e in encoded]

    renditions: dict = {"narrower": {"light": listed(pngs.light[1:])}}
    if pngs.dark:
        renditions["dark"] = {"image/png": base64.b64encode(pngs.dark[0].data).decode("ascii")}
        renditions["narrower"]["dark"] = listed(pngs.dark[1:])
    return "image/png", base64.b64encode(full.data).decode("ascii"), size, renditions


def _dark_recolouring(figure):
    """Recolour `figure` for the dark theme; returns what puts every colour back."""
    undo = _recolour_for_dark(figure)

    def restore() -> None:
        for step in reversed(undo):
            step()

    return restore


def _render_svg(figure) -> tuple[str, dict]:
    """One figure as SVG text and its CSS size in px."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    # A fixed hash salt and no date: the same figure gives the same SVG bytes.
    with plt.rc_context({"svg.hashsalt": "execblocks"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    width, height = (round(v * 96) for v in figure.get_size_inches())
    return buffer.getvalue().decode("utf-8"), {"width": width, "height": height}


def _render_dark_svg(figure) -> str:
    """The same figure on the theme's dark background: non-data colours recoloured,
    saved again, then every colour put back (the author may still use the figure)."""
    restore = _dark_recolouring(figure)
    try:
        return _render_svg(figure)[0]
    finally:
        restore()


def _recolour_for_dark(figure) -> list:
    """Grey-scale colours (backgrounds, text, spines, ticks, grid, legend frames, black
    lines) are mirrored onto the dark palette: white becomes the page background, black
    its text colour. Saturated colours are data (Okabe-Ito reads on dark) and stay, as
    do images and colour-mapped collections."""
    import numpy as np
    from matplotlib.collections import Collection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.text import Text

    undo: list = []

    def swap(getter, setter) -> None:
        old = getter()
        new = _dark_colour(old)
        if new is not None:
            setter(new)
            undo.append(lambda: setter(old))

    for artist in figure.findobj():
        if isinstance(artist, Text):
            swap(artist.get_color, artist.set_color)
            box = artist.get_bbox_patch()  # an annotation's box is not among its children
            if box is not None:
                swap(box.get_facecolor, box.set_facecolor)
                swap(box.get_edgecolor, box.set_edgecolor)
        elif isinstance(artist, Line2D):
            face, edge = artist.get_markerfacecolor(), artist.get_markeredgecolor()
            swap(artist.get_color, artist.set_color)
            # An "auto" marker colour is the line's: it moved with it just now. Swapping it
            # too would map the line's new colour a second time (a black line's markers came
            # out near the background), and its undo would leave that colour behind.
            if _same_colour(artist.get_markerfacecolor(), face):
                swap(artist.get_markerfacecolor, artist.set_markerfacecolor)
            if _same_colour(artist.get_markeredgecolor(), edge):
                swap(artist.get_markeredgecolor, artist.set_markeredgecolor)
        elif isinstance(artist, Patch):
            swap(artist.get_facecolor, artist.set_facecolor)
            swap(artist.get_edgecolor, artist.set_edgecolor)
        elif isinstance(artist, Collection):
            if artist.get_array() is None:  # colour-mapped faces are data
                swap(artist.get_facecolor, artist.set_facecolor)
            # Edges set to "face" are the faces (get_edgecolor returns get_facecolor's array,
            # or a view of it): they follow them, as above.
            if not np.shares_memory(artist.get_edgecolor(), artist.get_facecolor()):
                swap(artist.get_edgecolor, artist.set_edgecolor)
    return undo


def _same_colour(first, second) -> bool:
    """Whether two matplotlib colour specs are one colour ("none" included)."""
    from matplotlib.colors import to_rgba

    try:
        return to_rgba(first) == to_rgba(second)
    except (TypeError, ValueError):
        return first is second


def _dark_colour(colour):
    """The dark-palette twin of a colour (or of an Nx4 array of colours); None to keep it."""
    try:
        if hasattr(colour, "ndim") and colour.ndim == 2:
            if len(colour) == 0:
                return None
            mapped = [_dark_single(tuple(row)) for row in colour]
            if all(m is None for m in mapped):
                return None
            return [m if m is not None else tuple(row) for m, row in zip(mapped, colour)]
        if hasattr(colour, "ndim"):  # a 1-D array: one colour
            colour = tuple(colour)
        return _dark_single(colour)
    except TypeError:  # an unhashable colour spec to_rgba would reject anyway
        return None


@functools.lru_cache(maxsize=4096)  # a figure asks for the same few colours hundreds of times
def _dark_single(colour):
    """_dark_colour of one hashable colour spec."""
    from matplotlib.colors import to_rgba

    if isinstance(colour, str) and colour in ("none", "auto", "face"):
        return None
    try:
        r, g, b, a = to_rgba(colour)
    except (TypeError, ValueError):
        return None
    if max(r, g, b) - min(r, g, b) > 0.1 or a == 0:
        return None
    lightness = (r + g + b) / 3
    back, fore = to_rgba(DARK_BACKGROUND), to_rgba(DARK_FOREGROUND)
    return tuple(bk + (fg - bk) * (1 - lightness) for bk, fg in zip(back[:3], fore[:3])) + (a,)


def _fail_block(result, error: Exception) -> None:
    """Make the current block fail with `error`, shown without the engine's frames."""
    from IPython import get_ipython  # a post_run_cell hook's failure: IPython is there

    shell = get_ipython()
    if not isinstance(error, FigureError):
        error = FigureError(f"{type(error).__name__}: {error}")
    if shell is not None:
        shell.showtraceback(exc_tuple=(FigureError, error, None))  # FigureError._render_traceback_
    if result is not None and result.error_in_exec is None and result.error_before_exec is None:
        result.error_in_exec = error


def _figure_title(figure) -> str:
    """What a screen reader hears when the author gave no fig-alt or caption: the plot's
    own titles, else per panel its kind and axis labels ("A line plot of y against x")."""
    titles = [figure.get_suptitle()] + [ax.get_title() for ax in figure.axes]
    if any(titles):
        return "; ".join(t for t in titles if t)
    panels = [_describe_axes(ax) for ax in figure.axes if ax.get_visible() and ax.has_data()]
    if not panels:
        return "Figure"
    if len(panels) == 1:
        return panels[0]
    return f"{len(panels)} panels: " + "; ".join(p[0].lower() + p[1:] for p in panels)


def _describe_axes(ax) -> str:
    collection_kinds = {"PathCollection": "scatter plot", "QuadMesh": "heatmap", "LineCollection": "line plot"}
    found = (["image"] * bool(ax.images) + ["line plot"] * bool(ax.lines)
             + [collection_kinds.get(type(c).__name__, "filled area") for c in ax.collections]
             + ["bar chart"] * bool(ax.patches))
    kinds = list(dict.fromkeys(found))
    if ax.name == "polar":
        kinds = ["polar " + k for k in kinds] or ["polar plot"]
    text = "A " + " with ".join(kinds[:2] or ["plot"])
    xlabel, ylabel = ax.get_xlabel(), ax.get_ylabel()
    if xlabel and ylabel:
        text += f" of {ylabel} against {xlabel}"
    elif xlabel or ylabel:
        text += f" ({xlabel or ylabel})"
    return text
