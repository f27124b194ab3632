"""Kernels: run an article's blocks in one Jupyter kernel and capture what they produce.

Execution is nbclient's (the engine behind nbconvert's ExecutePreprocessor) over an
ipykernel started with the `ipc` transport, so blocks behave exactly as notebook cells.
What nbclient does not give, this module adds: hidden cells that install the kernel
side (runtime.py), stream output forwarded live to the terminal, and errors located
at the article's file and line.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from . import runtime
from .config import EngineSettings
from .errors import BlockExecutionError
from .parse import Article
from .progress import Progress
from .schedule import Job, order, visible_gpus

HIDDEN = "execblocks-hidden"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
CELL_FRAME = re.compile(r"Cell In\[(\d+)\], line (\d+)")
MEMORY_ADDRESS = re.compile(r"(<[\w.]+(?: object)?) at 0x[0-9a-fA-F]+>")


@dataclass
class ExecutionResult:
    """What one run of an article produced: everything the store writes."""

    article: Article
    notebook: nbformat.NotebookNode  # the blocks as executed notebook cells (hidden cells removed)
    inline_values: list[str]
    reads: list[Path]  # files under the project the run opened or imported
    device: str | None
    versions: dict[str, str]
    block_seconds: list[float]
    duration_s: float
    executed_at: str
    error: BlockExecutionError | None = None


def build_notebook(article: Article) -> nbformat.NotebookNode:
    """The notebook nbclient runs: hidden setup, the blocks, inline values, hidden collect."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    cells = [_hidden("import execblocks.runtime as __execblocks__\n__execblocks__.install()")]
    figsize = None
    figure_policy = (None, None)  # (fig-format, fig-dpi) the kernel's figure hook uses now
    for block in article.blocks:
        wanted = (block.options.fig_width, block.options.fig_height)
        if block.options.eval and wanted != (None, None) and wanted != figsize:
            width, height = block.options.fig_width or 6.4, block.options.fig_height or 4.8
            cells.append(_hidden(f"__execblocks__.set_figsize({width!r}, {height!r})"))
            figsize = wanted
        policy = (block.options.figure_format, block.options.fig_dpi)
        if block.options.eval and policy != figure_policy:
            cells.append(_hidden(f"__execblocks__.figure_options({policy[0]!r}, {policy[1]!r})"))
            figure_policy = policy
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
    for number, inline in enumerate(article.inline):
        cell = _hidden(f"__execblocks__.inline_value({inline.expr})")
        cell.metadata["execblocks"] = {"inline": number, "line": inline.line}
        cells.append(cell)
    cells.append(_hidden("__execblocks__.collect()"))
    nb.cells = cells
    return nb


def _hidden(source: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = [HIDDEN]
    return cell


class _ArticleClient(NotebookClient):
    """nbclient's client, plus live forwarding of what blocks print."""

    progress: Progress | None = None
    article_label = ""

    def process_message(self, msg, cell, cell_index):
        if msg["msg_type"] == "stream" and HIDDEN not in cell.metadata.get("tags", []) and self.progress:
            self.progress.stream(self.article_label, msg["content"]["text"])
        return super().process_message(msg, cell, cell_index)


def kernel_environment(settings: EngineSettings) -> dict[str, str]:
    env = dict(os.environ)
    # code/ for the experiments, the engine's parent for `execblocks.runtime`.
    paths = [str(p) for p in settings.code_dirs] + [str(settings.engine_dir.parent)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["MPLBACKEND"] = "Agg"
    env["EXECBLOCKS_FIGURE_FORMAT"] = settings.figure_format
    env["EXECBLOCKS_DARK_FIGURES"] = "1" if settings.dark_figures else "0"
    env["EXECBLOCKS_MAX_FIGURES"] = str(settings.max_figures)
    env["EXECBLOCKS_MAX_FIGURE_PIXELS"] = str(settings.max_figure_pixels)
    env["PYTHONHASHSEED"] = "0"
    # One BLAS/OpenMP thread per kernel: parallelism comes from running kernels side by side.
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env.setdefault(name, "1")
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return env


async def execute_article(article: Article, settings: EngineSettings,
                          progress: Progress | None = None, gpu: str | None = None) -> ExecutionResult:
    nb = build_notebook(article)
    label = article.rel_path
    block_seconds = [0.0] * len(article.blocks)
    started: dict[int, float] = {}
    current: dict[str, int] = {"cell": -1}

    def on_cell_start(cell, cell_index):
        current["cell"] = cell_index
        started[cell_index] = time.perf_counter()
        block = cell.metadata.get("execblocks", {}).get("block")
        if block is not None and progress:
            progress.block_start(label, block, len(article.blocks), article.blocks[block].fence_line)

    def on_cell_executed(cell, cell_index, execute_reply):
        block = cell.metadata.get("execblocks", {}).get("block")
        if block is not None:
            block_seconds[block] = time.perf_counter() - started[cell_index]
            if progress:
                progress.block_done(label, block, block_seconds[block])

    def timeout_for(cell):
        block = cell.metadata.get("execblocks", {}).get("block")
        if block is not None and article.blocks[block].options.timeout:
            return article.blocks[block].options.timeout
        return settings.timeout

    runtime_dir = Path(tempfile.mkdtemp(prefix="execblocks-"))
    km = AsyncKernelManager(kernel_name=settings.kernel_name, transport="ipc")
    # ipc sockets are files: keep them in a private temp folder, never in the project.
    km.connection_file = str(runtime_dir / f"kernel-{uuid.uuid4().hex[:8]}.json")
    km.ip = str(runtime_dir / "ipc")
    client = _ArticleClient(
        nb, km=km, timeout_func=timeout_for, record_timing=False, coalesce_streams=True,
        allow_errors=False, on_cell_start=on_cell_start, on_cell_executed=on_cell_executed,
        resources={"metadata": {"path": str(article.path.parent)}},
    )
    client.progress, client.article_label = progress, label
    t0 = time.perf_counter()
    executed_at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    error = None
    try:
        env = kernel_environment(settings)
        if gpu is not None:
            env["CUDA_VISIBLE_DEVICES"] = gpu
        await client.async_execute(env=env)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        error = _locate_error(article, nb, current["cell"], exc)
    finally:
        # We own the kernel manager, so nbclient leaves the kernel to us.
        if client.kc is not None:
            client.kc.stop_channels()
        if km.has_kernel:
            await km.shutdown_kernel(now=True)
        shutil.rmtree(runtime_dir, ignore_errors=True)
    duration = time.perf_counter() - t0
    _point_tracebacks_at_article(article, nb)
    run_info = _run_info(nb) if error is None else {}
    return ExecutionResult(
        article=article,
        notebook=_public_notebook(nb),
        inline_values=_inline_values(nb, len(article.inline)),
        reads=[Path(p) for p in run_info.get("reads", []) + run_info.get("modules", [])],
        device=run_info.get("device"),
        versions=run_info.get("versions", {}),
        block_seconds=block_seconds,
        duration_s=duration,
        executed_at=executed_at,
        error=error,
    )


def _public_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The executed notebook a reader downloads: the blocks only, no engine cells."""
    public = nbformat.v4.new_notebook(metadata=nb.metadata)
    public.cells = [c for c in nb.cells if HIDDEN not in c.metadata.get("tags", [])]
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


def _inline_values(nb: nbformat.NotebookNode, count: int) -> list[str]:
    values = [""] * count
    for cell in nb.cells:
        number = cell.metadata.get("execblocks", {}).get("inline")
        if number is None:
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "display_data":
                values[number] = output["data"].get("text/plain", "")
    return values


def _run_info(nb: nbformat.NotebookNode) -> dict:
    for output in nb.cells[-1].get("outputs", []):
        data = output.get("data", {})
        if runtime.RUN_MIME in data:
            return data[runtime.RUN_MIME]
    return {}


def _traceback_rewriter(article: Article, nb):
    """A function turning IPython's "Cell In[3], line 2" into "content/x.md, line 12"."""
    count_to_line = {c.get("execution_count"): c.metadata["execblocks"]["line"]
                     for c in nb.cells if "line" in c.metadata.get("execblocks", {})}

    def to_file(match: re.Match) -> str:
        start = count_to_line.get(int(match[1]))
        return match[0] if start is None else f"{article.rel_path}, line {start + int(match[2]) - 1}"

    return lambda text: CELL_FRAME.sub(to_file, ANSI.sub("", text))


def _point_tracebacks_at_article(article: Article, nb) -> None:
    """Rendered tracebacks (`#| error: true`) and warnings name the article's file and line."""
    rewrite = _traceback_rewriter(article, nb)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [rewrite(line) for line in output.get("traceback", [])]
            elif output.get("output_type") == "stream" and "Cell In[" in output.get("text", ""):
                output["text"] = rewrite(output["text"])


def _locate_error(article: Article, nb, cell_index: int, exc: Exception) -> BlockExecutionError:
    """Turn nbclient's exception into one that names the article's file and line."""
    cell = nb.cells[cell_index] if 0 <= cell_index < len(nb.cells) else None
    meta = cell.metadata.get("execblocks", {}) if cell is not None else {}
    error_output = next((o for o in (cell.get("outputs", []) if cell is not None else [])
                         if o.get("output_type") == "error"), None)
    if isinstance(exc, CellTimeoutError):
        ename, evalue, frames = "TimeoutError", str(exc).splitlines()[0], []
    elif isinstance(exc, DeadKernelError):
        ename, evalue, frames = "DeadKernelError", "the kernel died (out of memory, or killed)", []
    elif error_output is not None:
        ename, evalue = error_output["ename"], error_output["evalue"]
        frames = [ANSI.sub("", f) for f in error_output.get("traceback", [])]
    else:
        ename, evalue, frames = type(exc).__name__, str(exc), []
    # Engine frames (the hidden cells' runtime) are not the author's business.
    frames = [f for f in frames if "execblocks/runtime.py" not in f and "execblocks\\runtime.py" not in f]
    line = meta.get("line", 0)
    count = cell.get("execution_count") if cell is not None else None
    for frame in frames:
        for match in CELL_FRAME.finditer(frame):
            if int(match[1]) == count:
                line = meta.get("line", 0) + int(match[2]) - 1
    rewrite = _traceback_rewriter(article, nb)
    traceback = "\n".join(rewrite(f) for f in frames)
    if "inline" in meta:
        number = meta["inline"]
        return BlockExecutionError(article.rel_path, meta["line"], -1, ename, evalue,
                                   f"in the inline value `{{python}} {article.inline[number].expr}`\n{traceback}")
    block = meta.get("block", -1)
    return BlockExecutionError(article.rel_path, line, block + 1 if block >= 0 else 0, ename, evalue, traceback,
                               source=article.blocks[block].code if block >= 0 else "")


def run_articles(jobs: list[Job], settings: EngineSettings, progress: Progress) -> list[ExecutionResult]:
    """Run several articles, each in its own kernel: CPU jobs a few at a time, GPU jobs
    one per GPU (see schedule.py)."""
    workers = settings.workers or os.cpu_count() or 1
    gpus = visible_gpus()

    async def run_all():
        cpu_slots = asyncio.Semaphore(workers)
        free_gpus: asyncio.Queue = asyncio.Queue()
        for gpu in gpus:
            free_gpus.put_nowait(gpu)

        async def run(job: Job, gpu: str | None) -> ExecutionResult:
            article = job.article
            where = f" on GPU {gpu}" if gpu is not None else ""
            progress.article_start(article.rel_path, len(article.blocks), where)
            result = await execute_article(article, settings, progress, gpu=gpu)
            progress.article_done(article.rel_path, result.duration_s, result.error is None)
            return result

        async def one(job: Job) -> ExecutionResult:
            if job.wants_gpu and gpus:
                gpu = await free_gpus.get()
                try:
                    return await run(job, gpu)
                finally:
                    free_gpus.put_nowait(gpu)
            async with cpu_slots:
                return await run(job, None)

        return await asyncio.gather(*(one(job) for job in order(jobs)))

    if sys.platform == "win32":  # pragma: no cover - zmq needs the selector loop there
        asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run_all())
    # This thread already runs an event loop (a notebook, Playwright's sync API):
    # give the kernels a loop of their own in a worker thread.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run_all()).result()
