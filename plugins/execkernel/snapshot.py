"""The kernel's state after a block, saved to a file and put back into a fresh kernel
(what lets an edit to block k rerun from block k instead of from the top).

Runs inside the article's kernel and imports nothing from the engine. A snapshot holds:

- the user namespace (every name a block bound; IPython's own names are left out),
  pickled in one piece with cloudpickle so that objects shared between names stay
  shared (an optimiser and the model whose parameters it holds);
- the global random states: Python's `random`, NumPy's legacy global generator, torch's
  CPU generator and, when CUDA was initialised, every CUDA device's generator;
- matplotlib's rcParams (styles, `plt.rcParams[...] = ...`), the working directory,
  the files in the article's scratch folder, the names of the modules imported so far
  (the record lists their packages; only those the state refers to are imported again),
  and what the caller adds (`extra`).

Functions and classes the blocks defined are pickled by value (cloudpickle's way), but
a function keeps the live namespace as its globals: `def f(): return scale * x` must see
a later block's `scale`, as in the kernel it came from.

A name that cannot be pickled (a socket, a generator, an open file, a CUDA stream)
makes the snapshot fail as `Unpicklable`, naming it; the build then reruns from the top.
Taking a snapshot never changes what a block computes: it only reads the state.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import io
import os
import pickle
import re
import sys
import tarfile
import time
import types


# IPython's history names (_, __, _i3, _7, ...) and dunders are the shell's, not the article's.
SHELL_NAME = re.compile(r"_+|_i+|_i?\d+|__.*__")


class Unpicklable(Exception):
    """The state holds something pickle cannot save; `names` says what."""

    def __init__(self, names: list[tuple[str, str]]):
        self.names = names
        super().__init__("; ".join(f"{name} ({why})" for name, why in names))


def _shell():
    from IPython import get_ipython

    return get_ipython()


def user_names(shell) -> dict:
    """The article's names: the namespace without what IPython put there."""
    hidden = shell.user_ns_hidden
    return {name: value for name, value in shell.user_ns.items()
            if name not in hidden and not SHELL_NAME.fullmatch(name)}


def _rebuild_function(code, name, defaults, closure, kwdefaults, qualname, attributes, module):
    """A function defined in a block, rebuilt with the live namespace as its globals."""
    function = types.FunctionType(code, _shell().user_ns, name, defaults, closure)
    function.__kwdefaults__ = kwdefaults
    function.__qualname__ = qualname
    function.__module__ = module
    function.__dict__.update(attributes)
    return function


def _file_name(file) -> str | int:
    try:
        return file.name
    except (AttributeError, ValueError):
        return ""


def _closed_file(name, mode: str, text: bool):
    """A closed file like the one a block left: same type, name and mode, no state to lose."""
    kind = "r+" if "+" in mode else "r" if "r" in mode else "w"  # the same buffer type; devnull loses nothing
    file = open(os.devnull, kind if text else kind + "b")
    raw = file.buffer.raw if text else file.raw
    raw.name = name
    if text:
        file.mode = mode  # a binary file's mode is its raw file's, read from the name's open
    file.close()
    return file


# What reducer_override treats apart from pickle: classes (any metaclass; cloudpickle pickles
# those defined in blocks by value), functions, files.
_SPECIAL = (type, types.FunctionType, io.IOBase)


def _ordinary(kind: type) -> bool:
    """Neither a class, a function nor a file: never special to reducer_override."""
    try:
        return not issubclass(kind, _SPECIAL)
    except TypeError:  # a metaclass that will not say: ask again for each object
        return False


def _pickler_class():
    import cloudpickle  # loaded by hooks.install before any block: never the article's import

    class NamespacePickler(cloudpickle.Pickler):
        """cloudpickle, except that a function whose globals are the namespace is rebuilt
        against the namespace it is loaded into (cloudpickle gives it a private copy)."""

        namespace: dict = {}
        # cloudpickle's dispatch table is a ChainMap (its reducers, then copyreg's), which the
        # C pickler asks through Python for every object it saves: 12,000 misses for a closed
        # figure, a fifth of its pickling. The same table as one dict, flattened when the class
        # is made (before each snapshot: a reducer a block registered with copyreg counts).
        dispatch_table = dict(cloudpickle.Pickler.dispatch_table)
        # The C pickler calls reducer_override for every object that is not a builtin
        # container or scalar (1,300 for a closed figure), and for nearly all of them the
        # answer is "pickle's own way". The types that got that answer, so that the next
        # object of the same type costs one set lookup instead of two ABC checks and
        # cloudpickle's method: a closed figure's pickling 3.4 -> 2.7 ms. This leans on what
        # cloudpickle's reducer_override is documented to do ("type-agnostic reducing callback
        # for function and classes"): a version that reduced other objects one by one would be
        # asked about the first object of each type only (tests/unit/test_kernel_snapshot.py
        # pickles functions, classes and files through it).
        ordinary: set = set()

        def reducer_override(self, obj):
            kind = type(obj)
            if kind in self.ordinary:
                return NotImplemented
            if isinstance(obj, io.IOBase) and obj.closed:  # `with open(p) as f:` leaves f behind
                return _closed_file, (_file_name(obj), getattr(obj, "mode", "r"), isinstance(obj, io.TextIOBase))
            if isinstance(obj, types.FunctionType) and obj.__globals__ is self.namespace:
                return _rebuild_function, (obj.__code__, obj.__name__, obj.__defaults__, obj.__closure__,
                                           obj.__kwdefaults__, obj.__qualname__, dict(obj.__dict__),
                                           obj.__module__)
            reduced = super().reducer_override(obj)
            if reduced is NotImplemented and _ordinary(kind):
                self.ordinary.add(kind)
            return reduced

    return NamespacePickler


def _dumps(value, namespace: dict) -> bytes:
    buffer = io.BytesIO()
    pickler = _pickler_class()(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.namespace = namespace
    pickler.dump(value)
    return buffer.getvalue()


@contextlib.contextmanager
def _collector_paused():
    """Pickling a namespace makes thousands of short-lived objects (each artist of a closed
    figure copies its `__dict__`), and unpickling one makes every object of the state: the
    cyclic collector ran 26 more times in the bench's 20-block run, some of them through
    every object in the kernel, +45 ms of the snapshots' ~100 ms. Reference counting frees
    the temporaries; the collector runs again as soon as this ends. Left off if a block
    turned it off."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _project_modules(project: tuple[str, ...]) -> list[str]:
    """The project's own modules imported so far, in the order they were imported."""
    roots = tuple(os.path.join(os.path.abspath(p), "") for p in project)
    return [name for name in list(sys.modules)
            if roots and (path := _source_of(name)) is not None and path.startswith(roots)]


def _module_state(modules: list[str]) -> dict[str, dict]:
    """The data (not the functions, classes or modules) that the project's own `modules` hold
    at module level: a registry, a cache, the device `reproducible.device()` picked. A fresh
    import would start them over; a block after the resume point must find them as they were."""
    found = {}
    for name in modules:
        module = sys.modules[name]
        values = {key: value for key, value in vars(module).items()
                  if not (key.startswith("__") and key.endswith("__"))
                  and not isinstance(value, (types.ModuleType, types.FunctionType, type, types.BuiltinFunctionType))}
        if values:
            found[name] = values
    return found


def random_states() -> dict:
    """Every global generator a block may have drawn from, as it stands now."""
    import random

    states = {"python": random.getstate()}
    if "numpy.random" in sys.modules:  # not "numpy": its `.random` is imported on first use (6 ms, 3,000 objects)
        states["numpy"] = sys.modules["numpy.random"].get_state()
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        states["torch"] = torch.get_rng_state()
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _set_random_states(states: dict) -> None:
    import random

    random.setstate(states["python"])
    if "numpy" in states:
        import numpy

        numpy.random.set_state(states["numpy"])
    if "torch" in states:
        import torch

        torch.set_rng_state(states["torch"])
        if "cuda" in states:
            torch.cuda.set_rng_state_all(states["cuda"])


def _rc_params() -> dict | None:
    if "matplotlib" not in sys.modules:
        return None
    params = dict(sys.modules["matplotlib"].rcParams)
    params.pop("backend", None)  # the kernel's, set by MPLBACKEND: never the article's
    return params


def _scratch_files(folder: str | None, limit: int) -> bytes:
    """The scratch folder as a tar (files a block wrote for a later one)."""
    if not folder or not os.path.isdir(folder):
        return b""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(folder, arcname=".")
    if buffer.tell() > limit:
        raise Unpicklable([("EXECBLOCKS_SCRATCH", f"scratch files over {limit:,} bytes")])
    return buffer.getvalue()


def take(scratch: str | None = None, extra: dict | None = None, scratch_limit: int = 1 << 30,
         project: tuple[str, ...] = ()) -> bytes:
    """The state as bytes (a header of plain values, then the pickled state); raises
    Unpicklable naming what pickle refused."""
    shell = _shell()
    names = user_names(shell)
    project_modules = _project_modules(project)
    header = {"modules": [name for name, module in list(sys.modules.items()) if module is not None],
              "project_modules": project_modules, "cwd": os.getcwd(), "extra": extra or {}}
    snapshot = {"names": names, "random": random_states(), "rc": _rc_params(),
                "scratch": _scratch_files(scratch, scratch_limit), "modules": _module_state(project_modules)}
    try:
        with _collector_paused():
            body = _dumps(snapshot, shell.user_ns)
        return pickle.dumps(header, protocol=pickle.HIGHEST_PROTOCOL) + body
    except Exception:  # noqa: BLE001 - find which name it was, then say so
        pass
    culprits = []
    for module, values in snapshot["modules"].items():
        for name, value in values.items():
            try:
                _dumps(value, shell.user_ns)
            except Exception as error:  # noqa: BLE001 - pickle raises many kinds
                culprits.append((f"{module}.{name}", f"{type(error).__name__}: {error}"))
    for name, value in names.items():
        try:
            _dumps(value, shell.user_ns)
        except Exception as error:  # noqa: BLE001 - pickle raises many kinds
            culprits.append((name, f"{type(error).__name__}: {error}"))
    raise Unpicklable(culprits or [("(global state)", "random states or rcParams could not be pickled")])


def globals_digest() -> str:
    """sha256 of the global state a block may read without naming it (the random generators,
    rcParams): equal digests mean the next block starts from the same generators and style."""
    return hashlib.sha256(pickle.dumps((random_states(), _rc_params()), protocol=4)).hexdigest()


@dataclasses.dataclass(frozen=True)
class Restored:
    extra: dict  # what the caller added when the snapshot was taken
    modules: frozenset[str]  # top-level modules the run had imported by then


def restore(data: bytes, scratch: str | None = None, article_imports: list[str] = ()) -> Restored:
    """Put a snapshot's state into this (fresh) kernel.

    What the state refers to is imported (by the pickle, as it loads), and so, in the order
    the run imported them, is every module of the project's the run had imported and every
    top-level package the article's blocks import by name (`article_imports`) that it had
    imported by then: such a module may seed a generator or set a style when it is imported,
    and a later block that imports it (or a function's lazy `import`) must find it imported,
    as in a full run, not run it again after the generators are restored. The run's other
    modules, those only libraries imported (sklearn and scipy loaded by a data loader, sympy
    by torch), cost seconds (6.5 s on the BatchNorm article) and are left to the code that
    uses them: a library that changes global state when imported, imported before the resume
    point only by another library, is the case this does not cover. The run's modules are
    returned: the record lists them as a full run's does. The random generators are set
    last, after every import made here."""
    import importlib

    shell = _shell()
    stream = io.BytesIO(data)
    header = pickle.load(stream)
    with _collector_paused():
        snapshot = pickle.load(stream)
    os.chdir(header["cwd"])
    wanted = set(header.get("project_modules", [])) | set(article_imports)
    for name in header["modules"]:  # the run's order
        if name in wanted and name not in sys.modules:
            try:
                importlib.import_module(name)
            except ImportError:  # gone since (a module deleted): a block that imports it fails as it would
                pass
    if scratch and snapshot["scratch"]:
        with tarfile.open(fileobj=io.BytesIO(snapshot["scratch"])) as tar:
            tar.extractall(scratch, filter="data")
    if snapshot["rc"] is not None:
        import matplotlib

        matplotlib.rcParams.update(snapshot["rc"])
    for module, values in snapshot.get("modules", {}).items():
        try:
            vars(importlib.import_module(module)).update(values)
        except ImportError:  # gone since (a module deleted): nothing to put back
            pass
    shell.user_ns.update(snapshot["names"])
    _set_random_states(snapshot["random"])
    return Restored(header["extra"], frozenset(name.partition(".")[0] for name in header["modules"]) - {"__main__"})


# -- taking one after every block of a run ------------------------------------------------

class _Run:
    """What the engine asked for this run: where to write, which cells are blocks."""

    def __init__(self, staging: str, blocks: dict[int, int], scratch: str | None, extra, scratch_limit: int,
                 project: tuple[str, ...] = (), every_block: bool = False):
        self.staging = staging  # a folder outside the project; the engine moves the files to its cache
        self.blocks = blocks  # execution count -> block index
        self.scratch = scratch
        self.extra = extra  # () -> dict: the engine's own kernel state (figure policy, device)
        self.scratch_limit = scratch_limit
        self.project = project  # folders of the project's own modules (their module-level data is kept)
        self.reads: set[str] = set()
        self.writes: set[str] = set()
        self.modules = _module_files()
        self.imported = set(sys.modules)
        self.quiet = False  # our own files are not the block's reads
        self.every_block = every_block  # else only where a snapshot pays (worth_taking)
        self.started = time.perf_counter()  # when the cell now running started
        self.unsaved = 0.0  # seconds the blocks since the last snapshot ran: what a resume reruns
        self.cost: float | None = None  # CPU seconds the last snapshot took


_run: _Run | None = None


def _module_files() -> set[str]:
    return {path for name in list(sys.modules) if (path := _source_of(name)) is not None}


_sources: dict[str, str | None] = {}  # module name -> its .py file, absolute; looked at once per module


def _source_of(name: str) -> str | None:
    """A module's .py file (None: none), worked out once: after every block a kernel with
    torch holds some 2,000 modules, and asking each again cost more than the snapshot."""
    if name not in _sources:
        path = getattr(sys.modules.get(name), "__file__", None)
        _sources[name] = os.path.abspath(path) if isinstance(path, str) and path.endswith(".py") else None
    return _sources[name]


# What a snapshot may cost, as a share of the time of the blocks it saves from rerunning.
# knitr's trade (cache what is dearer to recompute than to keep) taken at 1:1 snapshot after
# a block that ran as long as the snapshot took: a few milliseconds of printing, after which
# saving the state cost as much as the block again. At a tenth, a snapshot is taken once the
# blocks since the last ran 10 times as long as the last snapshot took: in the bench's
# 20-block article after each 140 ms figure block (5-9 ms of CPU to save a state that holds
# a closed figure) and not after the prints between them. At a twentieth the figure blocks'
# snapshots sat at the limit, and one in three or four was left out from run to run; an edit
# of the print after such a figure reran that figure and, through plt, every later one.
SHARE = 0.1


def worth_taking(unsaved: float, cost: float | None) -> bool:
    """Whether to snapshot now (knitr's trade: cache what is dear to recompute). `unsaved`:
    seconds (wall) the blocks since the last snapshot took, which a resume from that snapshot
    runs again; `cost`: CPU seconds the last snapshot took (None: none yet, so take this one). Taken
    once the snapshot costs at most SHARE of what it saves: the blocks since the last one
    are then cheaper to save than to run again, by a margin that bounds a cold run's cost."""
    return cost is None or cost <= SHARE * unsaved


def install(staging: str, blocks: dict[int, int], scratch: str | None = None, extra=dict,
            scratch_limit: int = 1 << 30, project: tuple[str, ...] = (), every_block: bool = False) -> None:
    """Hidden cell: after each block cell (by execution count), write what it read
    (`<block>.json`; the files are told by `note_open`, which the caller registers with its
    audit hook) into `staging`, and the state after it (`<block>.snap`) where that pays
    (`worth_taking`; after every block with `every_block`). Registered after the figure
    hook, so a block's figures are saved and closed first (and their cost counted as the block's)."""
    global _run
    _run = _Run(staging, {int(k): v for k, v in blocks.items()}, scratch, extra, scratch_limit, tuple(project),
                every_block)
    _shell().events.register("pre_run_cell", _before_cell)
    _shell().events.register("post_run_cell", _after_cell)


def _before_cell(info) -> None:
    if _run is not None:
        _run.started = time.perf_counter()


def note_open(path: str, writing: bool) -> None:
    """A file opened (told by hooks.py's audit hook, the kernel's only one): the block's read or write."""
    if _run is not None and not _run.quiet:
        (_run.writes if writing else _run.reads).add(path)


def _after_cell(result) -> None:
    import json

    ended = time.perf_counter()  # the block's figures saved: what it costs to rerun ends here
    run = _run
    block = run.blocks.get(result.execution_count) if run is not None else None
    if block is None:  # an engine cell, or a run that takes no snapshots
        return
    run.quiet = True
    try:
        imported = [name for name in sys.modules if name not in run.imported]
        names = set(sys.modules)
        # The files of the modules the block imported and the run had not loaded before. Only
        # the new names are looked at (a kernel holds ~900 modules, and going through all of
        # them after each block cost more than the rest of this bookkeeping), unless the block
        # took modules out of sys.modules, when the loaded files are counted again.
        new_files = {path for name in imported if (path := _source_of(name)) is not None} - run.modules
        modules = _module_files() if run.imported - names else run.modules | new_files
        info = {"block": block, "reads": sorted(run.reads), "writes": sorted(run.writes),
                "modules": sorted(new_files), "digest": globals_digest(), "imported": imported,
                "snapshot": None, "unpicklable": None}
        run.reads, run.writes, run.modules, run.imported = set(), set(), modules, names
        run.unsaved += ended - run.started
        if run.every_block or worth_taking(run.unsaved, run.cost):
            # The snapshot's cost is the kernel's CPU time, its own work: in wall time it also
            # counted whatever else the machine ran meanwhile (the build, the other articles'
            # kernels), and on a busy machine the same state saved after the same block was
            # judged dearer from one run to the next.
            taking = time.process_time()
            try:
                data = take(run.scratch, run.extra(), run.scratch_limit, run.project)
            except Unpicklable as error:
                info["unpicklable"] = [list(pair) for pair in error.names]
            else:
                name = f"{block}.snap"
                with open(os.path.join(run.staging, name), "wb") as file:
                    file.write(data)
                info["snapshot"] = name
            run.unsaved, run.cost = 0.0, time.process_time() - taking
        with open(os.path.join(run.staging, f"{block}.json"), "w") as file:
            file.write(json.dumps(info))  # json.dump streams through the pure-Python encoder
    except Exception as error:  # noqa: BLE001 - a snapshot must never fail the block
        print(f"execblocks: no snapshot after block {block + 1}: {type(error).__name__}: {error}",
              file=sys.stderr)
    finally:
        run.quiet = False


def restore_file(path: str, next_count: int, scratch: str | None = None, article_imports: list[str] = ()) -> Restored:
    """Hidden cell of a resumed run: the state from `path` (`restore`), and the kernel's
    execution count set so the next cell gets the number it has in a full run (tracebacks,
    the stored notebook and warnings name cells by it)."""
    if _run is not None:
        _run.quiet = True
    try:
        with open(path, "rb") as file:
            restored = restore(file.read(), scratch, article_imports)
    finally:
        if _run is not None:
            _run.quiet = False
            _run.modules, _run.imported = _module_files(), set(sys.modules)
    shell = _shell()
    shell.execution_count = next_count  # IPython counted this cell before running it
    return restored
