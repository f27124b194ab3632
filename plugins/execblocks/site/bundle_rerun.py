"""Run the article's notebook and show the progress while it runs (shipped as `rerun.py`).

    python rerun.py content/batchnorm.ipynb [--output=batchnorm-rerun] [--timeout=SECONDS]

What `jupyter execute` does (nbclient, the notebook's own kernel, from the notebook's folder,
the executed notebook written next to it), plus what a reader waiting minutes wants to see:
which cell of how many is running, where it is in the article, how long each took, and the
cell's own printed output and progress bars as they come:

    [3/12] train (block 2, content/batchnorm.md:120)
        │ epoch 1: loss 0.52
    [3/12] done in 41.2 s

Copied into every "Run it yourself" bundle by execblocks/site/bundle.py: it imports only the
standard library, nbformat and nbclient (the bundle's requirements), nothing of the blog.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

SETUP_TAG = "bundle-setup"  # cells the download added around the article's blocks (bundle.py)
MARGIN = "    │ "  # before each line a cell prints, so it reads apart from the progress lines
BAR_EVERY = 5.0  # seconds between a progress bar's states in a log (not a terminal)


def runs(cell) -> bool:
    """Whether nbclient runs this cell (a code cell with code, not tagged skip-execution)."""
    return (cell.cell_type == "code" and bool(cell.source.strip())
            and "skip-execution" not in cell.get("metadata", {}).get("tags", []))


def describe(cell) -> str:
    """A cell in a few words: its label (`#| label: x`) or first line of code, and where the
    article has it (`block 2, content/x.md:120`, recorded by the bundle)."""
    if SETUP_TAG in cell.get("metadata", {}).get("tags", []):
        before = re.fullmatch(rf"{SETUP_TAG}-(\d+)", str(cell.get("id", "")))  # bundle.py's figure cells
        return (f"the page's figure settings for block {before[1]} (added to the download)" if before
                else "setup (added to the download: sys.path, scratch folder, figure settings)")
    meta = cell.get("metadata", {}).get("execblocks", {})
    lines = [line.strip() for line in cell.source.splitlines() if line.strip()]
    label = meta.get("label") or next((line.split(":", 1)[1].strip() for line in lines
                                       if line.startswith("#|") and line[2:].strip().startswith("label:")), "")
    code = next((line for line in lines if not line.startswith("#")), lines[0] if lines else "")
    name = label or (code if len(code) <= 48 else code[:47].rstrip() + "…")
    block = re.fullmatch(r"block-(\d+)", str(cell.get("id", "")))  # the download's ids: "block-2"
    where = ", ".join(part for part in (f"block {block[1]}" if block else "",
                                        meta.get("source", "")) if part)
    return f"{name} ({where})" if where else name


class Progress:
    """The lines a reader sees; `out` is the terminal (or a log file)."""

    def __init__(self, out, total: int):
        self.out, self.total = out, total
        self.started: dict[int, float] = {}
        self.number: dict[int, int] = {}
        self.open_line = False  # a `\r`-redrawn progress bar is on the current line
        self.pending: dict[str, str] = {}  # per stream: printed text not yet ended by a newline or `\r`
        self.bar_shown = float("-inf")  # when a log last got a progress bar's state (its first: now)

    def write(self, text: str) -> None:
        try:
            self.out.write(text)
        except UnicodeEncodeError:  # a console that cannot show "│" or tqdm's blocks (cp1252)
            encoding = getattr(self.out, "encoding", None) or "ascii"
            self.out.write(text.encode(encoding, "replace").decode(encoding))
        self.out.flush()

    def cell_started(self, cell, cell_index: int) -> None:
        """nbclient's on_cell_start hook (called for every cell; only those that run count)."""
        if not runs(cell):
            return
        self.number[cell_index] = len(self.number) + 1
        self.started[cell_index] = time.perf_counter()
        self.write(f"[{self.number[cell_index]}/{self.total}] {describe(cell)}\n")

    def printed(self, text: str, stream: str = "stdout") -> None:
        """A cell's stream output, each finished line as it comes. A progress bar redrawn
        with `\\r` is redrawn in place on a terminal; in a log, where `\\r` cannot go back,
        one of its states every BAR_EVERY seconds, and its last."""
        terminal = getattr(self.out, "isatty", lambda: False)()
        # stdout and stderr arrive as separate messages, flushed apart: a bar's closing newline
        # (stderr) may come after the next print (stdout), so each keeps its own unfinished line.
        pending = self.pending.get(stream, "") + text
        while True:
            cut = min((i for i in (pending.find("\n"), pending.find("\r")) if i >= 0), default=-1)
            if cut < 0:
                self.pending[stream] = pending
                return
            line, end, pending = pending[:cut], pending[cut], pending[cut + 1:]
            if end == "\n":
                # On a terminal, a finished line replaces the bar drawn there ("\x1b[K": clear the rest).
                self.write(f"\r{MARGIN}{line}\x1b[K\n" if terminal and self.open_line else f"{MARGIN}{line}\n")
                self.open_line = False
            elif line and terminal:
                self.write(f"\r{MARGIN}{line}\x1b[K")
                self.open_line = True
            elif line and time.perf_counter() - self.bar_shown >= BAR_EVERY:
                self.write(f"{MARGIN}{line}\n")
                self.bar_shown = time.perf_counter()

    def cell_done(self, cell, cell_index: int, execute_reply: dict) -> None:
        """nbclient's on_cell_executed hook: what the cell left unfinished, then its time."""
        for stream, rest in list(self.pending.items()):
            if rest.strip():
                self.printed("\n", stream)
        self.pending.clear()
        if self.open_line:
            self.write("\n")
            self.open_line = False
        seconds = time.perf_counter() - self.started.get(cell_index, time.perf_counter())
        failed = execute_reply.get("content", {}).get("status") == "error"
        self.write(f"[{self.number.get(cell_index, '?')}/{self.total}] {'FAILED after' if failed else 'done in'} "
                   f"{seconds:.1f} s\n")


class ShowingClient(NotebookClient):
    """nbclient's client, passing what cells print to the progress display as it arrives."""

    progress: Progress | None = None

    def process_message(self, msg, cell, cell_index):
        if msg["msg_type"] == "stream" and self.progress is not None:
            self.progress.printed(msg["content"]["text"], msg["content"].get("name", "stdout"))
        return super().process_message(msg, cell, cell_index)


def rerun(notebook: Path, output: str | None = None, timeout: int | None = None, out=None) -> int:
    """Run `notebook` from its folder, write the executed copy next to it; 0 when every cell
    ran. The copy is written even when a cell failed, with the cells run so far."""
    out = out or sys.stdout
    nb = nbformat.read(notebook, as_version=4)
    target = notebook.with_name(f"{output or notebook.stem + '-rerun'}".removesuffix(".ipynb") + ".ipynb")
    progress = Progress(out, sum(runs(cell) for cell in nb.cells))
    client = ShowingClient(nb, timeout=timeout, resources={"metadata": {"path": str(notebook.parent)}},
                           on_cell_start=progress.cell_started, on_cell_executed=progress.cell_done)
    client.progress = progress
    sockets = None
    if os.name == "posix":
        # The ipc transport, as the blog's build: nothing listens on TCP (and the kernel does
        # not warn, on the reader's terminal, that it runs over TCP without encryption).
        sockets = tempfile.TemporaryDirectory(prefix="rerun-")
        client.km = client.create_kernel_manager()
        client.km.transport, client.km.ip = "ipc", os.path.join(sockets.name, "ipc")
        client.km.connection_file = os.path.join(sockets.name, "kernel.json")
    progress.write(f"Running {notebook} ({progress.total} cells) in a {nb.metadata.get('kernelspec', {}).get('name', 'python3')} "
                   f"kernel; the executed notebook goes to {target}\n")
    started, status = time.perf_counter(), 0
    # The kernel process's own stderr (what cells print comes over Jupyter's messages, not
    # this): ipykernel's log, which at shutdown can be a traceback of its own race
    # ("ZMQError: Socket operation on non-socket") though every cell ran. Shown only when
    # the run stopped, where it may say why a kernel died.
    kernel_log = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")
    try:
        client.execute(stderr=kernel_log)  # nbclient hands it to start_kernel, which hands it to Popen
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        progress.write(f"\nThe run stopped: {error}\n")
        status = 1
        kernel_log.seek(0)
        said = kernel_log.read().strip()
        if said:
            progress.write("The kernel's own log (its stderr), last lines:\n" + "\n".join(said.splitlines()[-20:]) + "\n")
    finally:
        kernel_log.close()
        if sockets is not None:
            sockets.cleanup()
    nbformat.write(nb, target)
    progress.write(f"{'Ran' if status == 0 else 'Stopped'} in {time.perf_counter() - started:.1f} s; "
                   f"wrote {target}\n")
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the article's notebook, showing each cell's progress.")
    parser.add_argument("notebook", type=Path, help="the notebook, e.g. content/batchnorm.ipynb")
    parser.add_argument("--output", help="the executed notebook's name, next to it (default: NAME-rerun)")
    parser.add_argument("--timeout", type=int, default=None, help="seconds per cell (default: none)")
    arguments = parser.parse_args(argv)
    if not arguments.notebook.is_file():
        parser.error(f"{arguments.notebook}: no such notebook (run this from the unzipped bundle's folder)")
    return rerun(arguments.notebook, arguments.output, arguments.timeout)


if __name__ == "__main__":
    sys.exit(main())
