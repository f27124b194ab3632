"""The engine's side of an article's kernel (hidden cells call it; article code never does):

- after every block, every open matplotlib figure is saved, recoloured for the dark
  theme, displayed and closed (execkernel/figure_saving.py, installed from here; its
  hidden-cell calls `set_figsize` and `figure_options` are bound here too);
- an audit hook records every file the article's code opens (and every file it renames,
  replaces, removes, links or re-dates: those are writes), and `collect()` reports them
  with the project modules it imported, so results know what they depend on.

What article code uses (`device()`, `seed()`) lives in `code/reproducible.py`, which
imports nothing from the engine, so a downloaded bundle runs without it. This module
must stay cheap to import: no matplotlib, numpy or torch at import time.
"""

from __future__ import annotations

import os
import random
import sys

from execkernel import figure_saving
from execkernel.figure_saving import figure_options, set_figsize  # noqa: F401 - hidden cells call them here
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
# Also told of every file opened: the snapshots' per-block record (execkernel/snapshot.py).
# One audit hook serves both because a hook is a Python call on every audited event, and a
# block that draws a figure raises ~3,400 (`builtins.id`, from matplotlib's copies): a second
# hook cost ~5 ms per such block, half the snapshots' whole cost on a cold run.
_open_listeners: list = []
_installed = False
_modules_at_start: set[str] = set()  # top-level modules the kernel had before any block ran
_engine_modules: set[str] = set()  # of those, the ones install() imported for the engine's own use
_article_imports: set[str] = set()  # top-level modules the article's blocks import by name
# Top-level modules the run a resumed kernel continues had imported (before the resume
# point, and in the blocks skipped as unaffected): the run's, whether imported here or not.
_continued: set[str] = set()


def install(snapshots: dict | None = None, imports: list[str] = (), **policy) -> None:
    """Called by the engine's hidden first cell with KernelPolicy's fields, the top-level
    modules the article's blocks import by name (`imports`), and with `snapshots`
    ({"staging": folder, "blocks": {execution count: block}}) when the state after each
    block is to be kept (execkernel/snapshot.py)."""
    global _installed, _policy
    if _installed:
        return
    _installed = True
    _policy = KernelPolicy(**policy)
    before = {name.partition(".")[0] for name in sys.modules}
    # The snapshots' pickler, loaded before the baseline below is taken so that it is the
    # kernel's and never counts as the article's. Every run loads it, snapshots or not, so
    # a Dask run (which takes none) records the packages a local run records.
    import cloudpickle  # noqa: F401

    _modules_at_start.update(name.partition(".")[0] for name in sys.modules)
    _engine_modules.update(_modules_at_start - before)
    _article_imports.update(imports)
    random.seed(0)
    sys.addaudithook(_audit)
    shell = _shell()
    figure_saving.install(_policy, shell)
    if shell is not None:
        _name_cells_in_warnings(shell)
        # `%matplotlib inline` would hand figures to matplotlib-inline, past the pipeline.
        shell.register_magic_function(_matplotlib_magic, magic_kind="line", magic_name="matplotlib")
        from execkernel import flood_guard

        flood_guard.install(_policy.max_output)  # after the figure hook: its notice comes last
        if snapshots:
            from execkernel import snapshot

            # Last: the state is taken once the block's figures are saved and closed.
            snapshot.install(snapshots["staging"], snapshots["blocks"], os.environ.get(SCRATCH_ENV),
                             extra=_own_state, project=tuple(snapshots.get("project", ())),
                             every_block=snapshots.get("every_block", False))
            _open_listeners.append(snapshot.note_open)


SCRATCH_ENV = "EXECBLOCKS_SCRATCH"  # the folder blocks may write to, shared by the article's blocks


def _own_state() -> dict:
    """What of this module's state a snapshot carries: the figure options in force, the device."""
    return {"figure_policy": figure_saving.current_options(), "device": _picked_device()}


def import_skipped(names: list[str], next_count: int) -> None:
    """Hidden cell before the inline values of a run that skipped its last blocks: the
    modules those blocks imported count as this run's (as in a full run) without being
    imported again, and the next cell gets the execution count it has in a full run."""
    _continued.update(name.partition(".")[0] for name in names)
    _shell().execution_count = next_count


def resume(path: str, next_count: int) -> None:
    """Hidden cell of a resumed run, after `install`: the state after the block before the
    first one to run, and the execution count that block has in a full run."""
    from execkernel import snapshot

    restored = snapshot.restore_file(path, next_count, os.environ.get(SCRATCH_ENV), sorted(_article_imports))
    figure_options(**restored.extra["figure_policy"])
    _continued.update(restored.modules)


INLINE_FILE = "<inline value>"  # the file name an inline expression's frame has in a traceback


def inline_values(expressions: list[str]) -> None:
    """Hidden cell for the article's inline `{python} expr`s, all of them in one kernel round
    trip (a cell each cost ~5 ms: the BatchNorm article's 198 were a second of every rerun).
    Each is evaluated in the user's namespace, in order, as its own cell would be; its value
    is published tagged with its number. A failing one raises, after the values before it:
    the engine names it by the count of values published (run_notebook.locate_error)."""
    namespace = _shell().user_ns
    for number, expression in enumerate(expressions):
        inline_value(number, eval(compile(expression, INLINE_FILE, "eval"), namespace))


def inline_value(number: int, value: object) -> None:
    """Inline value `number`: its str() goes into the prose, as text. A value that asks to
    be Markdown (IPython's `Markdown("*x*")`, as in Quarto) is Markdown."""
    from IPython.display import publish_display_data

    data = {"text/plain": str(value)}
    if callable(getattr(value, "_repr_markdown_", None)):
        data["text/markdown"] = value._repr_markdown_()
    publish_display_data(data, metadata={INLINE_TAG: number})


INLINE_TAG = "execblocks-inline"  # an inline value's output metadata: its number


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
            for listener in _open_listeners:
                listener(*opened)
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


_policy = KernelPolicy()  # install's: the flood guard's budget; figure_saving gets it too


def _matplotlib_magic(line: str = "") -> None:
    """`%matplotlib [inline]`, as notebooks start: figures already show inline, through the
    figure pipeline (sizes, 2x PNG, dark twin), so the line changes nothing. Other GUIs
    (`widget`, `qt`, ...) cannot be on a built page: said once, figures stay images."""
    choice = (line.split() or ["inline"])[0]
    if choice not in ("inline", "agg", "Agg"):
        print(f"%matplotlib {choice}: a built page shows figures as images; "
              f"they are saved as with %matplotlib inline", file=sys.stderr)


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
    from execkernel import installed

    imported = ({name.partition(".")[0] for name in list(sys.modules)} | _continued) - _modules_at_start
    # A module install() loaded for the engine is the article's too when a block imports it.
    imported |= _engine_modules & _article_imports
    imported -= set(sys.stdlib_module_names)
    imported.discard("execkernel")
    imported.add("ipykernel")
    owners = installed.owners()
    found = {}
    for name in imported:
        for dist, version in owners.get(name, []):
            found[dist] = version
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
