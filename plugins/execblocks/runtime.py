"""The engine's side of an article's kernel (hidden cells call it; article code never does):

- after every block, every open matplotlib figure is saved with one fixed policy
  (PNG, fixed dpi, no metadata: stable bytes) and displayed, then closed;
- an audit hook records every file the article's code opens, and `collect()` reports
  them with the project modules it imported, so results know what they depend on.

What article code uses (`device()`, `seed()`) lives in `code/reproducible.py`, which
imports nothing from the engine, so a downloaded bundle runs without it. This module
must stay cheap to import: no matplotlib, numpy or torch at import time.
"""

from __future__ import annotations

import base64
import io
import os
import random
import sys

RUN_MIME = "application/vnd.execblocks.run+json"
FIGURE_DPI = 192  # pixels per inch of saved figures: twice the page's 96 px/in, sharp on HiDPI screens
# The article-side helper module (code/reproducible.py), looked up by name, never imported:
# its `picked()` says which device the article's code chose.
DEVICE_MODULE = "reproducible"
# Libraries whose versions go into the provenance record when the article imported them.
TRACKED_PACKAGES = ("numpy", "torch", "matplotlib", "scipy", "sklearn", "pandas", "mnist1d")

_opened_for_read: set[str] = set()
_opened_for_write: set[str] = set()
_installed = False
_modules_at_start: set[str] = set()  # top-level modules the kernel had before any block ran


def install() -> None:
    """Called by the engine's hidden first cell."""
    global _installed
    if _installed:
        return
    _installed = True
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


def _audit(event: str, args: tuple) -> None:
    # Runs on every audited event in the kernel: keep it tiny and never raise.
    if event != "open":
        return
    try:
        path, mode, flags = args
        if path is None or isinstance(path, int):
            return
        path = os.path.abspath(os.fsdecode(path))
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            mode is None and flags & (os.O_WRONLY | os.O_RDWR))
        (_opened_for_write if writing else _opened_for_read).add(path)
    except Exception:
        pass


def _name_cells_in_warnings(shell) -> None:
    """Warnings name the cell ("Cell In[3], line 2", as tracebacks do), not the kernel's
    temp file /tmp/ipykernel_<pid>/<hash>.py, whose pid would change the stored bytes on
    every run; the engine then rewrites it to the article's file and line."""
    import warnings

    original = warnings.formatwarning
    cells = getattr(shell.compile, "_filename_map", {})

    def formatwarning(message, category, filename, lineno, line=None):
        if filename in cells:
            return f"Cell In[{cells[filename]}], line {lineno}: {category.__name__}: {message}\n"
        return original(message, category, filename, lineno, line)

    warnings.formatwarning = formatwarning


def _save_open_figures(result=None) -> None:
    if "matplotlib.pyplot" not in sys.modules:
        return
    import matplotlib.pyplot as plt
    from IPython.display import publish_display_data

    svg = os.environ.get("EXECBLOCKS_FIGURE_FORMAT", "png") == "svg"
    for number in plt.get_fignums():
        figure = plt.figure(number)
        buffer = io.BytesIO()
        if svg:
            # A fixed hash salt and no date: the same figure gives the same SVG bytes.
            with plt.rc_context({"svg.hashsalt": "execblocks"}):
                figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
            width, height = (round(v * 96) for v in figure.get_size_inches())
            mime, data = "image/svg+xml", buffer.getvalue().decode("utf-8")
        else:
            # metadata Software=None: no version string in the PNG, so bytes stay stable.
            figure.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight",
                           metadata={"Software": None})
            pixels_w, pixels_h = _png_size(buffer.getvalue())
            width, height = round(pixels_w * 96 / FIGURE_DPI), round(pixels_h * 96 / FIGURE_DPI)
            mime, data = "image/png", base64.b64encode(buffer.getvalue()).decode("ascii")
        publish_display_data(
            {mime: data, "text/plain": _figure_title(figure)},
            metadata={mime: {"width": width, "height": height}, "execblocks": {"figure": True}},
        )
    plt.close("all")


def _figure_title(figure) -> str:
    titles = [figure.get_suptitle()] + [ax.get_title() for ax in figure.axes]
    return "; ".join(t for t in titles if t) or "Figure"


def _png_size(data: bytes) -> tuple[int, int]:
    # The IHDR chunk holds width and height as big-endian 32-bit ints at bytes 16..24.
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


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
