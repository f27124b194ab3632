"""Notebooks: build the one nbclient runs from an article, clean it for storage, and
locate an error at the article's file and line.

Pure functions on nbformat nodes; nothing here starts a kernel (execute/kernel_run.py does).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from execkernel import hooks
from execkernel.policy import KernelPolicy
from execblocks.errors import ERROR_TRUE_HINT, BlockExecutionError
from execblocks.execute.blocknames import imported_packages
from execblocks.source.parse import Article
from execblocks.render.ansi import strip_escapes
from execblocks.execute.widget_state import stable_ids

HIDDEN = "execblocks-hidden"
INLINE_CALL = "__execblocks__.inline_values"
CELL_FRAME = re.compile(r"Cell In\[(\d+)\], line (\d+)")
# The same place, as the kernel names a warning's (execkernel/hooks.py): "Cell In[3], line 2:
# UserWarning: ...". A warning reads as Python prints one, "content/x.md:12: UserWarning: ...".
CELL_WARNING = re.compile(CELL_FRAME.pattern + r"(?=: [A-Za-z_][\w.]*Warning: )")
# IPython names a deeper frame's file by its absolute path with the home folder folded to "~"
# ("File ~/.venv/lib/python3.11/site-packages/torch/nn/functional.py:2960, in ..."): the
# builder's folders, which say nothing to a reader and change the page from machine to machine.
FRAME_FILE = re.compile(r"(?<=File )(~?/[^\n:]+?\.py)(?=:\d+)")
MEMORY_ADDRESS = re.compile(r"(<[\w.]+(?: object)?) at 0x[0-9a-fA-F]+>")
# Traceback frames of the hidden cells' runtime: not the author's business.
ENGINE_FRAMES = ("execkernel/hooks.py", "execkernel/figure_saving.py")


def build_notebook(article: Article, policy: KernelPolicy) -> nbformat.NotebookNode:
    """The notebook nbclient runs: hidden setup (the kernel side, installed with `policy`),
    the blocks, inline values, hidden collect. Hidden cells are the one way the engine
    tells the kernel side anything."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    cells = [_hidden(policy.install_source())]
    figsize = None
    figure_policy = (None, None)  # (fig-format, fig-dpi) the kernel's figure hook uses now
    for block in article.blocks:
        wanted = (block.options.fig_width, block.options.fig_height)
        if block.options.eval and wanted != (None, None) and wanted != figsize:
            width, height = block.options.fig_width or 6.4, block.options.fig_height or 4.8
            cells.append(_hidden(f"__execblocks__.set_figsize({width!r}, {height!r})"))
            figsize = wanted
        wanted_policy = (block.options.figure_format, block.options.fig_dpi)
        if block.options.eval and wanted_policy != figure_policy:
            cells.append(_hidden(f"__execblocks__.figure_options({wanted_policy[0]!r}, {wanted_policy[1]!r})"))
            figure_policy = wanted_policy
        cell = nbformat.v4.new_code_cell(block.code)
        cell.metadata["execblocks"] = {"block": block.index, "line": block.code_line}
        tags = []
        if not block.options.eval:
            tags.append("skip-execution")
        if block.options.error:
            tags.append("raises-exception")  # nbclient lets this one cell fail
        if tags:
            cell.metadata["tags"] = tags
        cells.append(cell)
    if article.inline:
        # One cell for them all (hooks.inline_values): a cell is a kernel round trip.
        cell = _hidden(f"{INLINE_CALL}({[i.expr for i in article.inline]!r})")
        cell.metadata["execblocks"] = {"inline": True}
        cells.append(cell)
    cells.append(_hidden("__execblocks__.collect()"))
    nb.cells = cells
    nb.cells[0].source = _install_source(nb, policy)
    return nb


def _install_source(nb: nbformat.NotebookNode, policy: KernelPolicy, snapshots: dict | None = None) -> str:
    """The install cell, told which modules the blocks that run import by name: a module the
    kernel side loads for itself (cloudpickle) still counts as the article's when they do."""
    imports = set()
    for cell in nb.cells:
        if "block" in cell.metadata.get("execblocks", {}) and "skip-execution" not in cell.metadata.get("tags", []):
            imports |= imported_packages(cell.source)
    return policy.install_source(snapshots, sorted(imports))


def execution_counts(nb: nbformat.NotebookNode) -> list[int | None]:
    """The execution count nbclient and IPython give each cell in a full run (None: not run):
    one more for every code cell with code and without `skip-execution`."""
    counts, count = [], 0
    for cell in nb.cells:
        runs = (cell.cell_type == "code" and cell.source.strip()
                and "skip-execution" not in cell.metadata.get("tags", []))
        count += bool(runs)
        counts.append(count if runs else None)
    return counts


def block_cells(nb: nbformat.NotebookNode) -> dict[int, int]:
    """block index -> its cell's index in the notebook."""
    return {c.metadata["execblocks"]["block"]: n for n, c in enumerate(nb.cells)
            if "block" in c.metadata.get("execblocks", {})}


def keep_snapshots(nb: nbformat.NotebookNode, policy: KernelPolicy, staging: str, project: list[str],
                   every_block: bool = False) -> None:
    """Make the install cell ask the kernel for its state after the blocks, which it tells
    by the block cell's execution count (`project`: the folders of the modules whose
    module-level data the state includes): after every one with `every_block`, else where
    saving costs at most a tenth of rerunning the blocks since the last snapshot
    (execkernel.snapshot.worth_taking)."""
    counts = execution_counts(nb)
    blocks = {counts[n]: block for block, n in block_cells(nb).items() if counts[n] is not None}
    nb.cells[0].source = _install_source(nb, policy, {"staging": staging, "blocks": blocks, "project": project,
                                                  "every_block": every_block})


@dataclass(frozen=True)
class ResumedRun:
    """The notebook a resumed run executes, and where its cells sit in the full one."""

    notebook: nbformat.NotebookNode
    counts: list[int | None]  # the execution count of each of its cells in a full run
    positions: list[int | None]  # each of its cells' index in the full notebook (None: its own)


def resumed_notebook(nb: nbformat.NotebookNode, start: int, snapshot: str, skip_from: int | None = None,
                     imported: list[str] = ()) -> ResumedRun:
    """The notebook a run resumed at block `start` executes: the install cell, a cell that
    restores the state after block start-1, then every cell after that block's (the hidden
    figure cells before block `start` included). With `skip_from`, the blocks from there on
    are left out, and a cell imports what they imported before the inline values."""
    counts = execution_counts(nb)
    blocks = block_cells(nb)
    cut = blocks[start - 1] + 1
    kept = list(range(cut, len(nb.cells)))
    cells = [nb.cells[0], _hidden(f"__execblocks__.resume({snapshot!r}, {_next(counts, cut)})")]
    positions: list[int | None] = [0, None]
    if skip_from is not None:
        stop, end = blocks[skip_from - 1] + 1, blocks[len(blocks) - 1] + 1
        kept = list(range(cut, stop))
        cells += [nb.cells[n] for n in kept]
        cells.append(_hidden(f"__execblocks__.import_skipped({list(imported)!r}, {_next(counts, end)})"))
        positions += kept + [None]
        kept = list(range(end, len(nb.cells)))
    cells += [nb.cells[n] for n in kept]
    positions += kept
    run = nbformat.v4.new_notebook(metadata=nb.metadata)
    run.cells = cells
    return ResumedRun(run, [counts[p] if p is not None else None for p in positions], positions)


def _next(counts: list[int | None], position: int) -> int:
    """The execution count the first cell run at or after `position` gets in a full run."""
    return max([c for c in counts[:position] if c is not None], default=0) + 1


def assembled(nb: nbformat.NotebookNode, run: ResumedRun, cached: list[dict], tail: dict[int, dict],
              article: Article) -> nbformat.NotebookNode:
    """A resumed run's notebook as a full run leaves it: the blocks before the resume point
    and the skipped ones as they were executed before (with the source lines the article
    has now), and the cells this run executed."""
    whole = nbformat.v4.new_notebook(metadata=run.notebook.metadata)
    whole.cells = list(nb.cells)
    for cell, position in zip(run.notebook.cells, run.positions):
        if position is not None:
            whole.cells[position] = cell
    blocks = block_cells(nb)
    for block, cell in list(enumerate(cached)) + sorted(tail.items()):
        node = nbformat.from_dict(cell)
        node.metadata["execblocks"]["line"] = article.blocks[block].code_line
        whole.cells[blocks[block]] = node
    return whole


def _hidden(source: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = [HIDDEN]
    return cell


def public_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The executed notebook a reader downloads: the blocks only, no engine cells."""
    public = nbformat.v4.new_notebook(metadata=nb.metadata)
    public.cells = [c for c in nb.cells if HIDDEN not in c.metadata.get("tags", [])]
    stable_ids(public)  # widget models named by their order, not by a random UUID
    for cell in public.cells:
        # nbformat gives new cells random ids; stable ones keep the stored bytes stable.
        cell.id = f"block-{cell.metadata['execblocks']['block'] + 1}"
        # Source lines move with prose edits, which must not churn the stored files.
        cell.metadata["execblocks"] = {"block": cell.metadata["execblocks"]["block"]}
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if isinstance(data.get("text/plain"), str):
                # A default repr's memory address differs on every run: mask it.
                data["text/plain"] = MEMORY_ADDRESS.sub(r"\1 at 0x…>", data["text/plain"])
    return public


def _inline_outputs(nb: nbformat.NotebookNode) -> dict[int, dict]:
    """Inline value number -> its output's data (hooks.inline_value tags each with its number;
    anything else the expressions displayed is not a value)."""
    found = {}
    for cell in nb.cells:
        if "inline" in cell.metadata.get("execblocks", {}):
            for output in cell.get("outputs", []):
                number = output.get("metadata", {}).get(hooks.INLINE_TAG)
                if output.get("output_type") == "display_data" and isinstance(number, int):
                    found[number] = output["data"]
    return found


def inline_values(nb: nbformat.NotebookNode, count: int) -> list[str]:
    values = [""] * count
    for number, data in _inline_outputs(nb).items():
        if number < count:
            values[number] = data.get("text/markdown", data.get("text/plain", ""))
    return values


def inline_markdown(nb: nbformat.NotebookNode, count: int) -> list[bool]:
    """Which inline values asked to be Markdown (hooks.inline_value)."""
    flags = [False] * count
    for number, data in _inline_outputs(nb).items():
        if number < count:
            flags[number] = "text/markdown" in data
    return flags


def run_info(nb: nbformat.NotebookNode) -> dict:
    for output in nb.cells[-1].get("outputs", []):
        data = output.get("data", {})
        if hooks.RUN_MIME in data:
            return data[hooks.RUN_MIME]
    return {}


def _traceback_rewriter(article: Article, nb):
    """A function turning IPython's "Cell In[3], line 2" into "content/x.md, line 12", and a
    warning's "Cell In[3], line 2: UserWarning" into "content/x.md:12: UserWarning". Cells not
    run yet have no execution count: a rewriter made while the notebook runs knows the cells
    run so far, which are the only ones a warning or traceback can name."""
    count_to_line = {c.get("execution_count"): c.metadata["execblocks"]["line"]
                     for c in nb.cells if "line" in c.metadata.get("execblocks", {})}

    def place(match: re.Match, separator: str) -> str:
        start = count_to_line.get(int(match[1]))
        return match[0] if start is None else f"{article.rel_path}{separator}{start + int(match[2]) - 1}"

    source = str(article.path)
    root = Path(source[: -len(article.rel_path)] if source.endswith(article.rel_path) else article.path.parent)

    def rewrite(text: str) -> str:
        text = CELL_WARNING.sub(lambda m: place(m, ":"), strip_escapes(text))
        text = FRAME_FILE.sub(lambda m: readable_file(m[1], root), text)
        return CELL_FRAME.sub(lambda m: place(m, ", line "), text)

    return rewrite


def readable_file(path: str, project_root: Path) -> str:
    """A traceback frame's file as a reader can place it: relative to the project
    (`code/bnlab/train.py`), else as it is imported (`torch/nn/functional.py`: the kernel runs
    this interpreter, so the warnings' rule, `hooks.importable_path`, applies here too)."""
    full = os.path.expanduser(path)
    root = str(project_root.resolve()).rstrip(os.sep) + os.sep
    if full.startswith(root):
        return full[len(root):].replace(os.sep, "/")
    readable = hooks.importable_path(full)
    return path if readable == full else readable


def located_stream(article: Article, nb, text: str) -> str:
    """What a block printed, with the warnings and tracebacks in it naming the article's
    file and line (for the build's live log: the stored copy is rewritten after the run)."""
    return _traceback_rewriter(article, nb)(text) if "Cell In[" in text else text


def point_tracebacks_at_article(article: Article, nb) -> None:
    """Rendered tracebacks (`#| error: true`) and warnings name the article's file and line."""
    rewrite = _traceback_rewriter(article, nb)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [rewrite(line) for line in output.get("traceback", [])]
            elif output.get("output_type") == "stream" and "Cell In[" in output.get("text", ""):
                output["text"] = rewrite(output["text"])


def locate_error(article: Article, nb, cell_index: int, exc: Exception, why: str = "") -> BlockExecutionError:
    """Turn nbclient's exception into one that names the article's file and line."""
    cell = nb.cells[cell_index] if 0 <= cell_index < len(nb.cells) else None
    meta = cell.metadata.get("execblocks", {}) if cell is not None else {}
    error_output = next((o for o in (cell.get("outputs", []) if cell is not None else [])
                         if o.get("output_type") == "error"), None)
    hint = ERROR_TRUE_HINT
    if isinstance(exc, CellTimeoutError):  # `error: true` would not help with these two
        ename, evalue, frames, hint = "TimeoutError", why or str(exc).splitlines()[0], [], ""
    elif isinstance(exc, DeadKernelError):
        ename, evalue, frames, hint = "DeadKernelError", why or "the kernel died", [], ""
    elif error_output is not None:
        ename, evalue = error_output["ename"], error_output["evalue"]
        frames = [strip_escapes(f) for f in error_output.get("traceback", [])]
        missing = re.match(r"No module named '([\w.]+)'", evalue or "") if ename == "ModuleNotFoundError" else None
        if missing:  # the author's next step: the package, in the project's requirements and venv
            package = missing[1].split(".")[0]
            hint = (f"Install it: add the package that provides `{package}` to requirements.txt and run "
                    f"`.venv/bin/pip install -r requirements.txt` (the kernel runs the project's .venv).")
    else:
        ename, evalue, frames = type(exc).__name__, str(exc), []
    frames = [f for f in frames if not any(m in f.replace("\\", "/") for m in ENGINE_FRAMES)]
    line = meta.get("line", 0)
    count = cell.get("execution_count") if cell is not None else None
    for frame in frames:
        for match in CELL_FRAME.finditer(frame):
            if int(match[1]) == count:
                line = meta.get("line", 0) + int(match[2]) - 1
    rewrite = _traceback_rewriter(article, nb)
    traceback = "\n".join(rewrite(f) for f in frames)
    if "inline" in meta:
        # The one that failed: the first without a value. The hidden cell's call and the
        # expression's own frame are the engine's wrapping: keep the frames below them.
        failed = min(len(_inline_outputs(nb)), len(article.inline) - 1)
        wrapped = [n for n, f in enumerate(frames) if hooks.INLINE_FILE in f]
        below = frames[wrapped[-1] + 1:] if wrapped else frames  # what the expression called
        traceback = "\n".join(rewrite(f) for f in below if INLINE_CALL not in f
                              and "Traceback (most recent call last)" not in f and f.strip("-\n "))
        evalue = (evalue or "").replace(f" ({hooks.INLINE_FILE}, line 1)", "")  # a SyntaxError's own place
        expr = article.inline[failed].expr
        return BlockExecutionError(article.rel_path, article.inline[failed].line, 0, ename, evalue, traceback,
                                   subject=f"the inline value `{{python}} {expr}`",
                                   hint="" if hint == "" else "Fix the expression: inline values are "
                                   "evaluated after the article's last block, in the same kernel.")
    block = meta.get("block", -1)
    return BlockExecutionError(article.rel_path, line, block + 1 if block >= 0 else 0, ename, evalue, traceback,
                               source=article.blocks[block].code if block >= 0 else "", hint=hint)
