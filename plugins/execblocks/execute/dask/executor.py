"""The execute stage on a dask.distributed cluster (`EXECBLOCKS_EXECUTOR = "tcp://host:8786"`,
or `invoke build --executor tcp://host:8786`).

Each stale article is one Dask task: worker.run_job, sent by value with the engine's
source and the project files the article needs, so a worker with only the requirements
installed runs it, in a Jupyter kernel, exactly as a local build would. Parse, plan,
store and render stay on this machine; the worker's answer is plain data (execute/dask/wire.py).

- Placement: a job that may use a GPU asks for `resources={"GPU": 1}` when some worker
  offers that resource (`dask worker --resources GPU=1`), so the scheduler puts it on a
  GPU worker and never two on one card; other jobs go anywhere. Longest first.
- Failures: a block's error comes back as data and is reported as a local one would be.
  A worker lost mid-run is retried by the scheduler on another worker; when that fails
  too, the article's error names its block and the cause, and nothing is stored for it.
  A scheduler that cannot be reached fails the build within CONNECT_TIMEOUT_S.
- Progress: the worker sends block starts, block ends and printed lines as Dask events;
  they are shown here as they come, as for a local run.
"""

from __future__ import annotations

import hashlib
import pickle
import queue
import uuid
from dataclasses import dataclass

from execblocks.site.bundle import deterministic_zip, engine_archive, job_files
from execblocks.config import EngineSettings
from execblocks.errors import SchedulerUnreachableError, WorkerLostError
from execblocks.execute.kernel_run import ExecutionResult
from execblocks.execute.progress import Progress
from execblocks.execute.jobs import Job, order
from execblocks.execute.dask.wire import result_from_data

CONNECT_TIMEOUT_S = 5
RETRIES = 1  # a task that raised (not a block's error, which is data) runs once more elsewhere


@dataclass
class _Running:
    """What the build knows about one submitted job while it runs."""

    job: Job
    block: int | None = None  # the block the worker last said it started
    started: bool = False
    finished: bool = False


class DaskExecutor:
    def __init__(self, address: str):
        self.address = address

    def connect(self):
        from distributed import Client

        try:
            return Client(self.address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError) as error:
            raise SchedulerUnreachableError(self.address, str(error).splitlines()[0] or type(error).__name__,
                                                CONNECT_TIMEOUT_S) from None

    def run(self, jobs: list[Job], settings: EngineSettings, progress: Progress) -> list[ExecutionResult]:
        import cloudpickle
        from execblocks.execute.dask import worker

        # Workers need not have this engine installed: its code travels with each job.
        cloudpickle.register_pickle_by_value(worker)
        client = self.connect()
        topic = f"execblocks-{uuid.uuid4().hex[:12]}"
        # One queue, filled from the client's thread, read here: the workers' progress
        # events and finished tasks, in the order they arrived.
        arrivals: queue.Queue = queue.Queue()
        client.subscribe_topic(topic, lambda event: arrivals.put(("event", event[1])))
        try:
            gpu_workers = any(w.get("resources", {}).get("GPU", 0) >= 1
                              for w in client.scheduler_info(n_workers=-1)["workers"].values())
            engine = engine_archive(settings)
            digest = hashlib.sha256(engine).hexdigest()
            running: dict[str, _Running] = {}
            futures = []
            for job in order(jobs):
                key = f"{topic}-{job.article.article_id.replace('/', '-')}"
                payload = {
                    "key": key, "topic": topic, "engine": engine, "engine_digest": digest,
                    "project": deterministic_zip(job_files(job.article, job.plan.entry if job.plan else None,
                                                           settings)),
                    "article": pickle.dumps(job.article), "settings": pickle.dumps(settings),
                    "local_root": str(settings.root),
                }
                resources = {"GPU": 1} if job.wants_gpu and gpu_workers else None
                running[key] = _Running(job)
                future = client.submit(_by_value(worker.run_job), payload, key=key, pure=False, retries=RETRIES,
                                       resources=resources, priority=round(job.expected_s))
                future.add_done_callback(lambda done: arrivals.put(("done", done)))
                futures.append(future)  # held until the end: a dropped future is cancelled
            results = []
            while len(results) < len(futures):
                kind, item = arrivals.get()
                if kind == "event":
                    self._show(item, running, progress)
                else:
                    results.append(self._result(item, running[item.key], settings, progress))
            return results
        finally:
            client.close()

    @staticmethod
    def _show(message: dict, running: dict[str, _Running], progress: Progress) -> None:
        """Replay one of a worker's progress events on the local display."""
        state = running.get(message.get("key"))
        if state is None or state.finished:
            return
        call, args = message["call"], message["args"]
        if call == "started":
            article = state.job.article
            again = " (again: its first worker was lost)" if state.started else ""
            progress.article_start(article.rel_path, len(article.blocks), f" on {args[0]}{again}")
            state.started = True
        elif call == "block_start":
            state.block = args[1]
        if call in ("say", "block_start", "block_done", "stream"):
            getattr(progress, call)(*args)

    def _result(self, future, state: _Running, settings: EngineSettings, progress: Progress) -> ExecutionResult:
        article = state.job.article
        state.finished = True  # progress events still on their way are dropped
        if future.status == "finished":
            result = result_from_data(future.result(), article, settings.root)
            if not state.started:  # its events are still on their way: say where it ran
                progress.article_start(article.rel_path, len(article.blocks), f" on {result.host}")
                state.started = True
            progress.article_done(article.rel_path, result.duration_s, result.error is None)
            return result
        # The task itself failed: its worker died (too often), or the job raised before
        # or after the kernel ran. Not the article's fault, and nothing of it is stored.
        try:
            error = future.exception()
        except Exception as cancelled:  # noqa: BLE001 - a cancelled future raises instead
            error = cancelled
        cause = f"{type(error).__name__}: {error}".strip()
        if type(error).__name__ == "KilledWorker":
            cause = (f"the Dask worker running it died (killed, or out of memory), on every worker the "
                     f"scheduler tried ({error})")
        elif future.status == "cancelled":
            cause = f"the cluster cancelled it (scheduler {self.address} restarted or went away)"
        block = state.block
        line = article.blocks[block].fence_line if block is not None else 1
        lost = WorkerLostError(article.rel_path, line, block + 1 if block is not None else 0, cause)
        progress.article_done(article.rel_path, 0.0, False)
        return ExecutionResult(article=article, notebook=None, inline_values=[], reads=[], device=None,
                               versions={}, block_seconds=[], duration_s=0.0, executed_at="", error=lost)


def _by_value(function):
    """`function`, wrapped so that Dask sends its code, not its name. Dask pickles a task
    with plain pickle first, which would send `execblocks.execute.dask.worker.run_job` by name and fail
    on a scheduler or worker without this engine; a lambda cannot be pickled by name, so
    Dask falls back to cloudpickle, which sends the lambda and, since execute/dask/worker.py is
    registered by value, run_job's code with it."""
    return lambda job: function(job)
