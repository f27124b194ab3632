"""The build's progress display: which article, which block, elapsed time, and the
blocks' own output (a training loop's progress lines) forwarded live."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO | None = None, forward_output: bool = True):
        self.out = stream or sys.stderr
        self.forward_output = forward_output
        self._article_started: dict[str, float] = {}
        # per (article, stream name): printed text not yet ended by a newline. stdout and stderr
        # come as separate messages, each flushed on its own: a tqdm bar's closing newline
        # (stderr) may arrive after the next print (stdout), which read "5/5trained" when shared.
        self._pending: dict[tuple[str, str], str] = {}
        self._redrawing: dict[str, bool] = {}  # per article: a `\r` line is on screen

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def article_start(self, article: str, blocks: int, where: str = "") -> None:
        self._article_started[article] = time.perf_counter()
        self.say(f"execblocks: running {article} ({blocks} block{'s' if blocks != 1 else ''}){where}")

    def block_start(self, article: str, block: int, total: int, line: int) -> None:
        elapsed = time.perf_counter() - self._article_started.get(article, time.perf_counter())
        self.say(f"  {article}: block {block + 1}/{total} (line {line}) started at +{elapsed:.1f} s")

    def block_done(self, article: str, block: int, seconds: float) -> None:
        self._finish_line(article)
        self.say(f"  {article}: block {block + 1} done in {seconds:.2f} s")

    def article_done(self, article: str, seconds: float, ok: bool) -> None:
        self._finish_line(article)
        self.say(f"execblocks: {article} {'ran' if ok else 'FAILED'} in {seconds:.2f} s")

    def stream(self, article: str, text: str, stream: str = "stdout") -> None:
        """A block printed `text`: show each finished line now, prefixed with the article's
        file name so parallel articles stay apart. A progress bar redrawn with `\r` is
        redrawn in place on a terminal; in a log only its lines that end in `\n` appear."""
        if not self.forward_output:
            return
        name = article.rsplit("/", 1)[-1]
        pending = self._pending.get((article, stream), "") + text
        redraw = self.out.isatty() if hasattr(self.out, "isatty") else False
        while True:
            cut = min((i for i in (pending.find("\n"), pending.find("\r")) if i >= 0), default=-1)
            if cut < 0:
                break
            line, end, pending = pending[:cut], pending[cut], pending[cut + 1:]
            if end == "\n":
                # On a terminal, a finished line replaces a redrawn one ("\x1b[K": clear the rest).
                start = "\r" if redraw and self._redrawing.pop(article, False) else ""
                self.stream_write(f"{start}  {name} │ {line}{chr(27) + '[K' if start else ''}\n")
            elif redraw:
                self.stream_write(f"\r  {name} │ {line}\x1b[K")
                self._redrawing[article] = True
        self._pending[(article, stream)] = pending

    def stream_write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def _finish_line(self, article: str) -> None:
        """Flush what the block printed without a final newline."""
        for key in [key for key in self._pending if key[0] == article]:
            rest = self._pending.pop(key)
            if rest:
                self.stream_write(f"  {article.rsplit('/', 1)[-1]} │ {rest}\n")
