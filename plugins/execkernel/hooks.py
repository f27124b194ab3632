"""The engine's side of an article's kernel (hidden cells call it; article code never does):

- after every block, every open matplotlib figure is saved with one fixed policy
  (PNG, fixed dpi, no metadata: stable bytes; or SVG, per site or block), twice --
  as drawn and recoloured for the dark theme -- and displayed, then closed; figures
  over the caps are dropped with a notice, and one that cannot be saved fails its block.
  A PNG figure's every rendition (light, dark, narrower for phones; execkernel/renditions.py) is
  made here, once: the engine only stores them;
- an audit hook records every file the article's code opens (and every file it renames,
  replaces, removes, links or re-dates: those are writes), and `collect()` reports them
  with the project modules it imported, so results know what they depend on.

What article code uses (`device()`, `seed()`) lives in `code/reproducible.py`, which
imports nothing from the engine, so a downloaded bundle runs without it. This module
must stay cheap to import: no matplotlib, numpy or torch at import time.
"""

from __future__ import annotations

import base64
import functools
import io
import os
import random
import sys

from execkernel.file_events import opened_file
from execkernel.policy import KernelPolicy

RUN_MIME = "application/vnd.execblocks.run+json"
# The article-side helper module (code/reproducible.py), looked up by name, never imported:
# its `picked()` says which device the article's code chose.
DEVICE_MODULE = "reproducible"
# Libraries whose versions go into the provenance record when the article imported them.
TRACKED_PACKAGES = ("numpy", "torch", "matplotlib", "scipy", "sklearn", "pandas", "mnist1d")

_opened_for_read: set[str] = set()
_opened_for_write: set[str] = set()
_installed = False
_modules_at_start: set[str] = set()  # top-level modules the kernel had before any block ran


def install(snapshots: dict | None = None, **policy) -> None:
    """Called by the engine's hidden first cell with KernelPolicy's fields, and with
    `snapshots` ({"staging": folder, "blocks": {execution count: block}}) when the state
    after each block is to be kept (execkernel/snapshot.py)."""
    global _installed, _policy
    if _installed:
        return
    _installed = True
    _policy = KernelPolicy(**policy)
    _modules_at_start.update(name.partition(".")[0] for name in sys.modules)
    random.seed(0)
    sys.addaudithook(_audit)
    shell = _shell()
    if shell is not None:
        shell.events.register("post_run_cell", _save_open_figures)
        # A block that ends with a Figure expression would also print "<Figure size ...>";
        # the figure itself is shown by _save_open_figures, so its text repr is empty.
        plain = shell.display_formatter.formatters["text/plain"]
        plain.for_type_by_name("matplotlib.figure", "Figure", lambda fig, p, cycle: None)
        _name_cells_in_warnings(shell)
        # `%matplotlib inline` would hand figures to matplotlib-inline, past the pipeline.
        shell.register_magic_function(_matplotlib_magic, magic_kind="line", magic_name="matplotlib")
        from execkernel import flood_guard

        flood_guard.install(_policy.max_output)  # after the figure hook: its notice comes last
        if snapshots:
            from execkernel import snapshot

            # Last: the state is taken once the block's figures are saved and closed.
            snapshot.install(snapshots["staging"], snapshots["blocks"], os.environ.get(SCRATCH_ENV),
                             extra=_own_state, project=tuple(snapshots.get("project", ())))


SCRATCH_ENV = "EXECBLOCKS_SCRATCH"  # the folder blocks may write to, shared by the article's blocks


def _own_state() -> dict:
    """What of this module's state a snapshot carries: the figure options in force, the device."""
    return {"figure_policy": dict(_figure_policy), "device": _picked_device()}


def import_skipped(names: list[str], next_count: int) -> None:
    """Hidden cell before the inline values of a run that skipped its last blocks."""
    from execkernel import snapshot

    snapshot.import_skipped(names, next_count)


def resume(path: str, next_count: int) -> None:
    """Hidden cell of a resumed run, after `install`: the state after the block before the
    first one to run, and the execution count that block has in a full run."""
    from execkernel import snapshot

    _figure_policy.update(snapshot.restore_file(path, next_count, os.environ.get(SCRATCH_ENV))["figure_policy"])


def set_figsize(width: float, height: float) -> None:
    """Hidden cell the engine runs before a block with fig-width / fig-height."""
    import matplotlib

    matplotlib.rcParams["figure.figsize"] = (width, height)


def inline_value(value: object) -> None:
    """Hidden cell for an inline `{python} expr`: its str() goes into the prose, as text.
    A value that asks to be Markdown (IPython's `Markdown("*x*")`, as in Quarto) is Markdown."""
    from IPython.display import publish_display_data

    data = {"text/plain": str(value)}
    if callable(getattr(value, "_repr_markdown_", None)):
        data["text/markdown"] = value._repr_markdown_()
    publish_display_data(data)


def collect() -> None:
    """Hidden last cell: report what the run read, imported and used."""
    from IPython.display import publish_display_data

    modules = sorted(
        {os.path.abspath(f) for m in list(sys.modules.values())
         if isinstance(f := getattr(m, "__file__", None), str) and f.endswith(".py")}
    )
    publish_display_data({RUN_MIME: {
        "reads": sorted(_opened_for_read - _opened_for_write),
        "writes": sorted(_opened_for_write),
        "modules": modules,
        "device": _picked_device(),
        "versions": _versions(),
        "packages": _packages(),
    }})


# Audit events that change a file without opening it for writing: os.replace / os.rename
# (both raise "os.rename": a module swapped in whole), remove, link, truncate, utime (a
# forged mtime). The first argument, or the first two, are paths; all count as writes.
_WRITE_EVENTS = {"os.rename": 2, "os.remove": 1, "os.link": 2, "os.symlink": 2, "os.truncate": 1,
                 "os.utime": 1, "os.rmdir": 1, "shutil.rmtree": 1}


def _audit(event: str, args: tuple) -> None:
    # Runs on every audited event in the kernel: keep it tiny and never raise.
    if event != "open":
        paths = _WRITE_EVENTS.get(event)
        if paths:
            try:
                for path in args[:paths]:
                    if isinstance(path, (str, bytes, os.PathLike)):
                        _opened_for_write.add(os.path.abspath(os.fsdecode(path)))
            except Exception:
                pass
        return
    try:
        opened = opened_file(args)
        if opened is not None:
            (_opened_for_write if opened[1] else _opened_for_read).add(opened[0])
    except Exception:
        pass



def _name_cells_in_warnings(shell) -> None:
    """Warnings name the cell ("Cell In[3], line 2", as tracebacks do), not the kernel's
    temp file /tmp/ipykernel_<pid>/<hash>.py, whose pid would change the stored bytes on
    every run; the engine then rewrites it to the article's file and line. A warning from an
    installed package or a project module names its file as it is imported (`tqdm/auto.py:21`,
    relative to its sys.path folder), never the builder's absolute path (/root/.venv/...):
    that path says nothing to a reader and changes with the machine."""
    import linecache
    import warnings

    original = warnings.formatwarning
    name_cell = shell.compile.format_code_name  # ("Cell", "In[3]"), as IPython's tracebacks say

    def formatwarning(message, category, filename, lineno, line=None):
        cell = name_cell(filename)
        if cell is not None:
            return f"{cell[0]} {cell[1]}, line {lineno}: {category.__name__}: {message}\n"
        if line is None:  # read here: the relative name below is not a path linecache can open
            line = linecache.getline(filename, lineno)
        return original(message, category, importable_path(filename), lineno, line)

    warnings.formatwarning = formatwarning


def importable_path(filename: str) -> str:
    """`filename` relative to the sys.path folder it is imported from (the longest that holds
    it: site-packages, the standard library, code/, the article's folder); unchanged when no
    sys.path folder holds it."""
    if not os.path.isabs(filename):
        return filename
    best = ""
    for entry in sys.path:
        folder = os.path.abspath(entry or os.getcwd())
        if filename.startswith(folder.rstrip(os.sep) + os.sep) and len(folder) > len(best):
            best = folder
    return os.path.relpath(filename, best).replace(os.sep, "/") if best else filename


class FigureError(Exception):
    """A figure the engine could not save: the block fails at its own file and line."""

    def _render_traceback_(self) -> list[str]:
        # IPython's protocol for an exception that shows itself: this one line, not a
        # "Traceback" header over the engine's frames (not the author's business).
        return [f"FigureError: {self}"]


def figure_options(format: str | None = None, dpi: float | None = None) -> None:
    """Hidden cell the engine runs before a block whose fig-format / fig-dpi differ from
    the previous block's (None: the policy's, i.e. the site's)."""
    _figure_policy.update(format=format, dpi=dpi)


_figure_policy: dict = {"format": None, "dpi": None}
_policy = KernelPolicy()
# The theme's dark background and text colours: a dark rendition sits on the page like text.
DARK_BACKGROUND, DARK_FOREGROUND = "#15171b", "#e3e6ea"


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


def _matplotlib_magic(line: str = "") -> None:
    """`%matplotlib [inline]`, as notebooks start: figures already show inline, through the
    figure pipeline (sizes, 2x PNG, dark twin), so the line changes nothing. Other GUIs
    (`widget`, `qt`, ...) cannot be on a built page: said once, figures stay images."""
    choice = (line.split() or ["inline"])[0]
    if choice not in ("inline", "agg", "Agg"):
        print(f"%matplotlib {choice}: a built page shows figures as images; "
              f"they are saved as with %matplotlib inline", file=sys.stderr)


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
    shell = _shell()
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


def _versions() -> dict[str, str]:
    import platform
    from importlib import metadata

    versions = {"python": platform.python_version()}
    dist_names = {"sklearn": "scikit-learn"}
    for name in TRACKED_PACKAGES:
        if name in sys.modules:
            try:
                versions[name] = metadata.version(dist_names.get(name, name))
            except metadata.PackageNotFoundError:
                versions[name] = getattr(sys.modules[name], "__version__", "unknown")
    return versions


def _packages() -> dict[str, str]:
    """Every installed distribution the blocks imported (directly or not), with its version,
    plus ipykernel: what a reader's requirements.txt must pin to rerun the article."""
    from importlib import metadata

    imported = {name.partition(".")[0] for name in list(sys.modules)} - _modules_at_start
    imported -= set(sys.stdlib_module_names)
    snapshot = sys.modules.get("execkernel.snapshot")
    imported -= getattr(snapshot, "OWN_IMPORTS", set())  # the snapshots' own, not the blocks'
    imported.discard("execkernel")
    imported.add("ipykernel")
    owners = metadata.packages_distributions()
    found = {}
    for name in imported:
        for dist in owners.get(name, []):
            try:
                found[metadata.metadata(dist)["Name"]] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                pass
    return dict(sorted(found.items(), key=lambda item: item[0].lower()))


def _picked_device() -> str | None:
    helper = sys.modules.get(DEVICE_MODULE)
    picked = getattr(helper, "picked", None)
    return picked() if callable(picked) else None


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()
