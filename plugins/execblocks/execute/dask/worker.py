"""What a Dask worker runs for one article (execute/dask/executor.py sends it).

The worker needs nothing of this project installed, only the requirements: the job
carries the engine's source and the project files the article needs (the runnable
bundle's files, see site/bundle.py). This module is sent by value (cloudpickle), so it
imports only the standard library at the top; the engine is imported from the job's
own copy. The article then runs exactly as locally: `kernel_run.execute_article`, one
Jupyter kernel, working directory = the article's folder in the copy.

The answer is plain data (execute/dask/wire.py): notebook, inline values, the files the run read
(relative to the copy, so they map back to project paths), versions, the worker's host.
"""

from __future__ import annotations

import dataclasses
import io
import os
import pickle
import shutil
import socket
import sys
import tempfile
import zipfile
from pathlib import Path

ENGINE = "execblocks"


def run_job(job: dict) -> dict:
    """Run one article from its shipped files; return what wire.result_to_data makes."""
    _use_engine(job["engine"], job["engine_digest"])
    from execblocks.execute import kernel_run
    from execblocks.execute.dask import wire

    copy_root = Path(tempfile.mkdtemp(prefix="execblocks-job-")).resolve()
    try:
        with zipfile.ZipFile(io.BytesIO(job["project"])) as archive:
            archive.extractall(copy_root)
        local_root = Path(job["local_root"])
        article = _moved(pickle.loads(job["article"]), local_root, copy_root)
        settings = _moved(pickle.loads(job["settings"]), local_root, copy_root)
        progress = _EventProgress(job["topic"], job["key"])
        progress.started(_worker_name())
        result = kernel_run.run_blocking(kernel_run.execute_article(article, settings, progress))
        return wire.result_to_data(result, copy_root, _worker_name())
    finally:
        shutil.rmtree(copy_root, ignore_errors=True)


def _use_engine(archive: bytes, digest: str) -> None:
    """Import the engine from this job's copy of it (unpacked once per worker and version);
    an engine of another version already imported in this worker is forgotten first."""
    home = Path(tempfile.gettempdir()) / f"execblocks-engine-{digest[:16]}"
    if not (home / ENGINE).is_dir():
        staging = Path(tempfile.mkdtemp(prefix="execblocks-engine-", dir=tempfile.gettempdir()))
        with zipfile.ZipFile(io.BytesIO(archive)) as unpacked:
            unpacked.extractall(staging)
        try:
            os.replace(staging, home)
        except OSError:  # another task of this worker unpacked it first
            shutil.rmtree(staging, ignore_errors=True)
    loaded = sys.modules.get(ENGINE)
    if loaded is not None and Path(getattr(loaded, "__file__", "") or "").parent.parent != home:
        for name in [m for m in sys.modules if m == ENGINE or m.startswith(ENGINE + ".")]:
            del sys.modules[name]
    sys.path[:] = [str(home)] + [p for p in sys.path if p != str(home)]


def _moved(value, local_root: Path, copy_root: Path):
    """A dataclass (Article, EngineSettings) with its project paths moved into the copy;
    paths outside the project (an output folder elsewhere) go to a scratch folder."""
    def move(path: Path) -> Path:
        try:
            return copy_root / Path(path).relative_to(local_root)
        except ValueError:
            return copy_root / ".scratch" / Path(path).name

    changes = {}
    for field in dataclasses.fields(value):
        current = getattr(value, field.name)
        if isinstance(current, Path):
            changes[field.name] = move(current)
        elif isinstance(current, tuple) and current and all(isinstance(p, Path) for p in current):
            changes[field.name] = tuple(move(p) for p in current)
    return dataclasses.replace(value, **changes)


def _worker_name() -> str:
    """"host (tcp://address:port)": the machine, and which of its workers."""
    try:
        from distributed import get_worker

        return f"{socket.gethostname()} ({get_worker().address})"
    except (ImportError, ValueError):
        return socket.gethostname()


class _EventProgress:
    """The local Progress's methods, sent to the build as Dask events (live progress)."""

    def __init__(self, topic: str, key: str):
        self.topic, self.key = topic, key
        try:
            from distributed import get_worker

            self.worker = get_worker()
        except (ImportError, ValueError):
            self.worker = None

    def _send(self, call: str, *args) -> None:
        if self.worker is not None:
            self.worker.log_event(self.topic, {"key": self.key, "call": call, "args": list(args)})

    def started(self, where: str) -> None:
        self._send("started", where)

    def say(self, text: str) -> None:
        self._send("say", text)

    def block_start(self, article: str, block: int, total: int, line: int) -> None:
        self._send("block_start", article, block, total, line)

    def block_done(self, article: str, block: int, seconds: float) -> None:
        self._send("block_done", article, block, seconds)

    def stream(self, article: str, text: str, stream: str = "stdout") -> None:
        self._send("stream", article, text, stream)
