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
        self._at_line_start: dict[str, bool] = {}

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

    def stream(self, article: str, text: str) -> None:
        """A block printed `text`: show it now, prefixed so parallel articles stay apart."""
        if not self.forward_output:
            return
        out = []
        for piece in text.splitlines(keepends=True):
            if self._at_line_start.get(article, True):
                out.append(f"  │ ")
            out.append(piece)
            self._at_line_start[article] = piece.endswith("\n")
        self.stream_write("".join(out))

    def stream_write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def _finish_line(self, article: str) -> None:
        if not self._at_line_start.get(article, True):
            self.stream_write("\n")
            self._at_line_start[article] = True
