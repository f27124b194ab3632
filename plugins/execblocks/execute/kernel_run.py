"""Kernels: run an article's blocks in one Jupyter kernel and capture what they produce.

Execution is nbclient's (the engine behind nbconvert's ExecutePreprocessor) over an
ipykernel started with the `ipc` transport, so blocks behave exactly as notebook cells.
This module owns the kernel's lifecycle (start, run through nbclient, stop) and
forwards stream output live to the terminal; the notebook it runs, the cleaned copy
it stores and the located error come from execute/run_notebook.py.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from execblocks.execute.output_cap import OutputCap
from execblocks.config import BlockOptions, EngineSettings
from execblocks.execute.containment import ContainedKernelManager, how_it_died, oom_kills
from execblocks.errors import BlockExecutionError
from execblocks.private_uses import warn_if_gone
from execblocks.execute.timeouts import block_limit
from execblocks.execute.resume import Resume, Snapshots
from execblocks.execute.run_notebook import (HIDDEN, assembled, block_cells, build_notebook, execution_counts,
                                             inline_markdown,
                                             inline_values, keep_snapshots, locate_error, located_stream,
                                             point_tracebacks_at_article, public_notebook, resumed_notebook, run_info)
from execblocks.source.parse import Article
from execblocks.execute.progress import Progress
from execblocks.execute.project_writes import SCRATCH_ENV

# nbclient logs timeouts and dead kernels as errors before raising; the engine reports them
# itself, at file:line (and Pelican's --fatal errors would turn the log line into a crash).
QUIET_LOG = logging.getLogger("execblocks.nbclient")
QUIET_LOG.setLevel(logging.CRITICAL)


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
    packages: dict[str, str] = field(default_factory=dict)  # distribution -> version, all the blocks imported
    host: str | None = None  # the cluster worker that ran it; None: this machine
    writes: list[Path] = field(default_factory=list)  # files the run opened for writing (execute/project_writes.py)
    inline_markdown: list[bool] = field(default_factory=list)  # values that asked to be Markdown
    # Resuming (execute/resume.py): where this run started, the raw executed cell of every
    # block (for the snapshot cache), and the folder where the kernel left its snapshots.
    resume: Resume = field(default_factory=Resume)
    block_cells: list[dict] = field(default_factory=list)
    staging: Path | None = None
    restore_failed: bool = False  # the resumed kernel could not take the snapshot back
    tail_unsafe: bool = False  # the skipped blocks would start from other global state: run them


class _ArticleClient(NotebookClient):
    """nbclient's client, plus live forwarding of what blocks print."""

    progress: Progress | None = None
    article_label = ""
    article: Article | None = None  # whose file and line a warning in the live log names
    cap: OutputCap | None = None  # execute/output_cap.py: a flood is cut as it arrives
    counts: list[int | None] | None = None  # a resumed run's execution counts: a full run's

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if self.counts is not None and self.counts[cell_index] is not None:
            execution_count = self.counts[cell_index]
        return await super().async_execute_cell(cell, cell_index, execution_count, store_history)

    @asynccontextmanager
    async def async_setup_kernel(self, **kwargs):
        """nbclient's, without its SIGINT/SIGTERM handlers and atexit hook: those shut the
        kernel down under the running cell, which then failed as a DeadKernelError and was
        stored as the article's failure. Here the engine owns the kernel (killed in
        execute_article's `finally`, its watchdog if the build dies) and the pool owns the
        signals (execute/schedule.py: the runs are cancelled and nothing is stored for them)."""
        if self.km is None:
            self.km = self.create_kernel_manager()
        if not self.km.has_kernel:
            await self.async_start_new_kernel(**kwargs)
        if self.kc is None:
            await self.async_start_new_kernel_client()
        yield

    def process_message(self, msg, cell, cell_index):
        if self.cap is not None and not self.cap.admit(msg, cell_index):
            return None
        if msg["msg_type"] == "stream" and HIDDEN not in cell.metadata.get("tags", []) and self.progress:
            text = msg["content"]["text"]
            self.progress.stream(self.article_label, located_stream(self.article, self.nb, text) if self.article else text,
                                 msg["content"].get("name", "stdout"))
        return super().process_message(msg, cell, cell_index)


def kernel_environment(settings: EngineSettings) -> dict[str, str]:
    env = dict(os.environ)
    # code/ for the experiments, the engine's parent for `execkernel.hooks`.
    paths = [str(p) for p in settings.code_dirs] + [str(settings.engine_dir.parent)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    # Agg, plus a show() that ends the figures drawn so far, as Jupyter's inline backend does.
    env["MPLBACKEND"] = "module://execkernel.backend"
    env["PYTHONHASHSEED"] = "0"
    # One BLAS/OpenMP thread per kernel: parallelism comes from running kernels side by side.
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env.setdefault(name, "1")
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    env.update(PAGE_TERMINAL)
    return env


# What a block that asks "how wide is my terminal?" is told: the page's text column, not the
# builder's terminal. The kernel inherits the build's stderr, so tqdm measured the builder's
# terminal (ioctl on that fd first, COLUMNS after): the page then held a 300-column bar, or
# none in a 0-column terminal. COLUMNS/LINES answer shutil.get_terminal_size and tqdm's
# fallback; TQDM_NCOLS is tqdm's own setting (its TQDM_* defaults), read before the terminal.
# An `ncols=` the author passes still wins; tqdm.notebook's widget bar ignores it.
PAGE_COLUMNS = 80
PAGE_TERMINAL = {"COLUMNS": str(PAGE_COLUMNS), "LINES": "24", "TQDM_NCOLS": str(PAGE_COLUMNS)}


async def execute_article(article: Article, settings: EngineSettings, progress: Progress | None = None,
                          gpu: str | None = None, snapshots: Snapshots | None = None,
                          resuming: bool = True) -> ExecutionResult:
    """Run an article's blocks in a fresh kernel. With `snapshots`, the kernel keeps its
    state after each block, and (`resuming`) the run resumes from the latest usable one;
    a run whose snapshot cannot be restored is run again from the top."""
    resume = snapshots.find(article) if snapshots is not None and resuming else Resume()
    if resume.why_not and progress:
        progress.say(f"execblocks: {article.rel_path}: runs from the top: {resume.why_not}")
    elif resume.resumed and progress:
        skipped = (f"; blocks {resume.skip_from + 1}-{len(article.blocks)} cannot be affected and keep their outputs"
                   if resume.skip_from is not None else "")
        progress.say(f"execblocks: {article.rel_path}: resumed at block {resume.start + 1} from the state "
                     f"after block {resume.start}{skipped}")
    result = await _execute(article, settings, progress, gpu, snapshots, resume)
    if result.tail_unsafe:
        # The blocks it skipped would start from other random generators or rcParams than
        # they did last time: run them too.
        if result.staging is not None:
            shutil.rmtree(result.staging, ignore_errors=True)
        result = await _execute(article, settings, progress, gpu, snapshots, resume.without_skipping())
    if result.restore_failed:
        if progress:
            progress.say(f"execblocks: {article.rel_path}: the snapshot could not be restored "
                         f"({result.error.ename}: {result.error.evalue}); running from the top")
        if result.staging is not None:
            shutil.rmtree(result.staging, ignore_errors=True)
        result = await _execute(article, settings, progress, gpu, snapshots, Resume())
    return result


async def _execute(article: Article, settings: EngineSettings, progress: Progress | None, gpu: str | None,
                   snapshots: Snapshots | None, resume: Resume) -> ExecutionResult:
    full = build_notebook(article, settings.kernel_policy)
    staging = None
    if snapshots is not None:
        staging = snapshots.staging()
        keep_snapshots(full, settings.kernel_policy, str(staging),
                       [str(d) for d in settings.code_dirs] + [str(article.path.parent)],
                       settings.snapshot_every_block)
    if resume.skip_from is not None and not _same_counts(full, resume):
        resume = resume.without_skipping()  # the cells before them changed their numbering
    resumed = None
    if resume.resumed:
        resumed = resumed_notebook(full, resume.start, str(resume.snapshot), resume.skip_from,
                                   [name for entry in resume.tail for name in entry.get("imported", [])])
    nb, counts = (resumed.notebook, resumed.counts) if resumed else (full, None)
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
        client.cap.finish_cell(cell, cell_index)  # instead of nbclient's quadratic coalescing
        block = cell.metadata.get("execblocks", {}).get("block")
        if block is not None:
            block_seconds[block] = time.perf_counter() - started[cell_index]
            if progress:
                progress.block_done(label, block, block_seconds[block])

    def limit_for(cell):
        block = cell.metadata.get("execblocks", {}).get("block")
        return block_limit(article.blocks[block].options if block is not None else BlockOptions(), settings)

    def timeout_for(cell):
        return limit_for(cell).seconds

    runtime_dir = Path(tempfile.mkdtemp(prefix="execblocks-"))
    warn_if_gone()  # ContainedKernelManager overrides a private method: say so if it is gone
    km = ContainedKernelManager(kernel_name=settings.kernel_name, transport="ipc")
    # ipc sockets are files: keep them in a private temp folder, never in the project.
    km.connection_file = str(runtime_dir / f"kernel-{uuid.uuid4().hex[:8]}.json")
    km.ip = str(runtime_dir / "ipc")
    client = _ArticleClient(
        # store_widget_state: the widgets' models go into the notebook's metadata, which the
        # store keeps and the page draws them from (execute/widget_state.py, render/widgets.py).
        nb, km=km, timeout_func=timeout_for, record_timing=False, coalesce_streams=False, store_widget_state=True,
        allow_errors=False, on_cell_start=on_cell_start, on_cell_executed=on_cell_executed,
        resources={"metadata": {"path": str(article.path.parent)}}, log=QUIET_LOG,
    )
    client.progress, client.article_label, client.article = progress, label, article
    client.cap = OutputCap(settings.max_output, settings.max_figures)
    client.counts = counts
    t0 = time.perf_counter()
    executed_at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    error = None
    oom_before = oom_kills()
    try:
        env = kernel_environment(settings)
        if gpu is not None:
            env["CUDA_VISIBLE_DEVICES"] = gpu
        # Where a block may write (execute/project_writes.py). With snapshots, one folder per
        # article that every run gets again: a path a block kept in a variable still works
        # after a resume, which puts back the files the blocks before it wrote.
        scratch = snapshots.scratch(article) if snapshots is not None else runtime_dir / "scratch"
        env[SCRATCH_ENV] = str(scratch)
        env["EXECBLOCKS_ARTICLE"] = article.rel_path  # the watchdog names it when it kills leftovers
        scratch.mkdir()
        await client.async_execute(env=env)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        if isinstance(exc, CellTimeoutError):
            why = limit_for(nb.cells[current["cell"]]).message()
        elif isinstance(exc, DeadKernelError):
            why = "the kernel " + how_it_died(km.exit_status(), oom_before)
        else:
            why = ""
        error = locate_error(article, nb, current["cell"], exc, why)
    finally:
        # We own the kernel manager, so nbclient leaves the kernel to us.
        if client.kc is not None:
            client.kc.stop_channels()
        if km.has_kernel:
            # Killed, not asked: the watchdog (execute/kernel_launcher.py) then takes every process a
            # block started down with it. (A polite shutdown let a block's setsid() child
            # outlive the build in tests; the cost is that rusage, and so /usr/bin/time,
            # does not count the kernel's CPU: benchmarks read the kernel's own count.)
            await km.shutdown_kernel(now=True)
        shutil.rmtree(runtime_dir, ignore_errors=True)
        if snapshots is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    duration = time.perf_counter() - t0
    reads = [settings.root / rel for rel in resume.reads]
    reads += [settings.root / rel for entry in resume.tail for rel in entry["reads"]]
    tail_unsafe = False
    if resume.resumed:
        if error is None:
            tail = {resume.skip_from + n: cell for n, cell in enumerate(resume.tail_cells)}
            nb = assembled(full, resumed, list(resume.cells), tail, article)
            tail_unsafe = resume.skip_from is not None and _digest_after(staging, resume.skip_from - 1) \
                != resume.expected_digest
        block_seconds[:resume.start] = resume.block_seconds
        if resume.skip_from is not None:
            block_seconds[resume.skip_from:] = [entry["seconds"] for entry in resume.tail]
    # Before the tracebacks name the article's lines: cached cells get the lines of the day.
    cells = [json.loads(json.dumps(nb.cells[n])) for n in block_cells(nb).values()] if error is None else []
    point_tracebacks_at_article(article, nb)
    info = run_info(nb) if error is None else {}
    return ExecutionResult(
        article=article,
        notebook=public_notebook(nb),
        inline_values=inline_values(nb, len(article.inline)),
        inline_markdown=inline_markdown(nb, len(article.inline)),
        reads=[Path(p) for p in info.get("reads", []) + info.get("modules", [])] + reads,
        device=info.get("device") or resume.device,
        versions=info.get("versions", {}),
        packages=info.get("packages", {}),
        block_seconds=block_seconds,
        duration_s=duration,
        executed_at=executed_at,
        error=error,
        writes=[Path(p) for p in info.get("writes", [])],
        resume=resume,
        block_cells=cells,
        staging=staging,
        restore_failed=resume.resumed and error is not None and current["cell"] == 1,
        tail_unsafe=tail_unsafe,
    )


def _same_counts(full, resume: Resume) -> bool:
    """Whether the skipped blocks' cached cells carry the execution counts a full run gives them now."""
    counts = execution_counts(full)
    cells = block_cells(full)
    return all(cell.get("execution_count") == counts[cells[resume.skip_from + n]]
               for n, cell in enumerate(resume.tail_cells))


def _digest_after(staging: Path | None, block: int) -> str | None:
    """The global-state digest the kernel recorded after `block` (execkernel.snapshot)."""
    try:
        return json.loads((staging / f"{block}.json").read_text())["digest"]
    except (TypeError, OSError, ValueError, KeyError):
        return None


def run_blocking(coroutine):
    """Run a coroutine to completion from synchronous code, on a loop of its own."""
    if sys.platform == "win32":  # pragma: no cover - zmq needs the selector loop there
        asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # This thread already runs an event loop (a notebook, Playwright's sync API):
    # give the kernels a loop of their own in a worker thread.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
