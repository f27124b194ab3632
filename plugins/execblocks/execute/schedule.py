"""Which article runs where and in what order: the execute stage's one entrance.

Each stale article is one `Job`, run in one kernel. The jobs go to an `Executor`:

- `LocalPool` (the default): kernels on this machine. Jobs that may use a GPU (they
  imported torch last time, ran on cuda/mps, or never ran) each get a GPU of their own
  through CUDA_VISIBLE_DEVICES, one job per GPU at a time, so two trainings never fight
  over one card's memory. Other jobs share `EXECBLOCKS_WORKERS` CPU slots.
- `DaskExecutor` (execute/dask/executor.py), for `EXECBLOCKS_EXECUTOR = "tcp://host:8786"`: each
  job goes to a worker of a dask.distributed cluster, GPU jobs with `resources={"GPU": 1}`.

Longest jobs (by their last duration) are handed out first, so the build's wall time is
not decided by a slow job that started last.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Protocol

from execblocks.execute.jobs import Job, order

if TYPE_CHECKING:  # execute/kernel_run.py pulls in nbclient and zmq: only loaded when something runs
    from execblocks.config import EngineSettings
    from execblocks.execute.kernel_run import ExecutionResult
    from execblocks.execute.progress import Progress
    from execblocks.execute.resume import Snapshots

LOCAL = "local"


def visible_gpus() -> list[str]:
    """GPU ids this build may hand out, found without importing torch."""
    listed = os.environ.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        return [g for g in listed.split(",") if g.strip() and g.strip() != "-1"]
    nvidia = Path("/proc/driver/nvidia/gpus")
    return [str(i) for i in range(len(list(nvidia.iterdir())))] if nvidia.is_dir() else []


class Executor(Protocol):
    """Runs jobs and returns one ExecutionResult per job (in any order); a block's error
    is a result with `.error` set, never an exception. Storing is the caller's."""

    def run(self, jobs: list[Job], settings: "EngineSettings", progress: "Progress") -> list["ExecutionResult"]:
        ...


def executor_for(settings: "EngineSettings", snapshots: "Snapshots | None" = None) -> Executor:
    """The executor EXECBLOCKS_EXECUTOR (or `invoke build --executor`) names; local kernels
    keep `snapshots` of their state and resume from them (execute/resume.py)."""
    if settings.executor == LOCAL:
        return LocalPool(snapshots)
    from execblocks.execute.dask.executor import DaskExecutor

    return DaskExecutor(settings.executor)


class LocalPool:
    """Kernels on this machine, run side by side from one asyncio loop."""

    def __init__(self, snapshots: "Snapshots | None" = None):
        self.snapshots = snapshots

    def run(self, jobs: list[Job], settings: "EngineSettings", progress: "Progress") -> list["ExecutionResult"]:
        from execblocks.execute import kernel_run

        workers = settings.workers or os.cpu_count() or 1
        gpus = visible_gpus()

        async def run_all():
            cpu_slots = asyncio.Semaphore(workers)
            free_gpus: asyncio.Queue = asyncio.Queue()
            for gpu in gpus:
                free_gpus.put_nowait(gpu)
            running: list[str] = []  # articles whose kernels run now

            async def run(job: Job, gpu: str | None) -> "ExecutionResult":
                article = job.article
                where = f" on GPU {gpu}" if gpu is not None else ""
                progress.article_start(article.rel_path, len(article.blocks), where)
                running.append(article.rel_path)
                try:
                    # A forced run (`--force`, `invoke run`) starts from the top, as it always did.
                    resuming = {} if self.snapshots is None else {
                        "snapshots": self.snapshots, "resuming": not (job.plan and job.plan.reasons == ["forced"])}
                    result = await kernel_run.execute_article(article, settings, progress, gpu=gpu, **resuming)
                finally:
                    running.remove(article.rel_path)
                if article.rel_path not in interruption.running:
                    progress.article_done(article.rel_path, result.duration_s, result.error is None)
                return result

            async def one(job: Job) -> "ExecutionResult":
                if job.wants_gpu and gpus:
                    gpu = await free_gpus.get()
                    try:
                        return await run(job, gpu)
                    finally:
                        free_gpus.put_nowait(gpu)
                async with cpu_slots:
                    return await run(job, None)

            ordered = order(jobs)
            tasks = [asyncio.ensure_future(one(job)) for job in ordered]
            with _cancelled_on_signal(tasks, running) as interruption:
                outcomes = await asyncio.gather(*tasks, return_exceptions=True)
            if interruption.signal is not None:
                from execblocks.errors import BuildInterrupted

                # A run the signal cut short may come back as a result (its kernel killed
                # under the cell), or as whatever its cancellation raised: it is no more the
                # article's failure than a run cancelled before it started.
                finished = [o for o in outcomes if not isinstance(o, BaseException)
                            and o.article.rel_path not in interruption.running]
                raise BuildInterrupted(interruption.signal, interruption.running, finished)
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome
            return outcomes

        return kernel_run.run_blocking(run_all())


@dataclass
class Interruption:
    signal: int | None = None  # the first SIGINT or SIGTERM received, None if none
    running: list[str] = field(default_factory=list)  # the articles whose kernels ran then


@contextlib.contextmanager
def _cancelled_on_signal(tasks: list, running: list[str]) -> Iterator[Interruption]:
    """While kernels run, SIGINT (Ctrl-C) and SIGTERM (a CI timeout) cancel every run
    (each kills its kernel on the way out) instead of ending the process at once or
    failing the block that was running. Only the main thread can take signals: elsewhere
    (a build started from a worker thread) they keep their usual effect."""
    loop = asyncio.get_running_loop()
    interruption = Interruption()

    def on_signal(number: int) -> None:
        if interruption.signal is not None:
            return  # a second Ctrl-C must not cut short the kernels' clean-up
        interruption.signal, interruption.running = number, list(running)
        for task in tasks:
            task.cancel()

    installed = []
    for number in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(number, on_signal, number)
            installed.append(number)
        except (RuntimeError, NotImplementedError, ValueError):
            pass
    try:
        yield interruption
    finally:
        for number in installed:
            loop.remove_signal_handler(number)
