"""Kernel side of the output cap (execblocks/execute/output_cap.py): a flood stops at its source.

Installed by hooks.install. Past its budget, a block's writes to sys.stdout / sys.stderr
are only counted, so 100 MB of prints never cross the wire (ipykernel sends them a
message at a time, which is what made a flood take minutes). After the block, the count
goes to the engine as one small display message, which the engine turns into the
"output truncated" notice. The budget is twice the engine's limit: the engine, counting
UTF-8 bytes, makes the exact cut. Stdlib and IPython only.

Carriage-return updates (a progress bar redrawing its line) count as what a terminal shows
in the end, not as every redraw: each write is collapsed to its lines' last states before
it is counted or sent, so a 200,000-step bar costs one line and the result printed after
it is kept.
"""

from __future__ import annotations

import sys

CAP_MIME = "application/vnd.execblocks.dropped+json"


class _Budget:
    def __init__(self, chars: int):
        self.chars, self.written, self.dropped = chars, 0, 0
        self.lines: dict[int, int] = {}  # id(stream) -> characters its open line shows


def collapse_returns(text: str) -> str:
    """`text` with each line's carriage-return updates reduced to the last one, as a
    terminal (and the engine's coalescing) would show them: "a\\rb\\rc" -> "\\rc". A line
    keeps its leading "\\r" (it still overwrites what an earlier write left on the line)
    and a trailing one (it acts on the next write)."""
    if "\r" not in text:
        return text
    lines = text.split("\n")
    for number, line in enumerate(lines):
        last = line.rfind("\r", 0, len(line) - 1)
        if last >= 0:
            lines[number] = "\r" + line[last + 1:]
    return "\n".join(lines)


def visible_growth(text: str, open_line: int, measure=len) -> tuple[int, int]:
    """How much a collapsed write adds to what a terminal shows (negative when a progress
    bar's new state is shorter), and the open line's new size. `open_line`: what the line
    under the cursor showed before the write; `measure`: characters, or the engine's bytes."""
    growth = 0
    for number, line in enumerate(text.split("\n")):
        if number:
            growth += 1  # the newline; the line before it stays as it was counted
            open_line = 0
        last = line.rfind("\r", 0, len(line) - 1)
        if last >= 0:  # back to the line's start: what it showed is replaced
            growth -= open_line
            open_line = 0
            line = line[last + 1:]
        size = measure(line.rstrip("\r"))
        growth += size
        open_line += size
    return growth, open_line


def install(limit: int) -> None:
    from IPython import get_ipython
    from IPython.display import publish_display_data

    budget = _Budget(2 * limit)

    def reset(*_):
        # IPython re-wraps write() around each cell to keep a copy of all output in its history
        # (in memory): wrap on top of that, per cell, so what is dropped is never kept or sent.
        # IPython puts its original back after the cell, which removes this wrapper too.
        budget.written = budget.dropped = 0
        budget.lines.clear()
        for stream in (sys.stdout, sys.stderr):
            _wrap(stream, budget)

    def report(*_):
        if budget.dropped:
            dropped, budget.dropped = budget.dropped, 0
            publish_display_data({CAP_MIME: {"dropped": dropped}})

    shell = get_ipython()
    shell.events.register("pre_run_cell", reset)
    shell.events.register("post_run_cell", report)


def _wrap(stream, budget: _Budget) -> None:
    original = stream.write

    def write(text):
        if not isinstance(text, str):
            return original(text)  # let the stream raise as it would
        written = len(text)
        text = collapse_returns(text)  # a progress bar's 200,000 updates count as its last one
        growth, line = visible_growth(text, budget.lines.get(id(stream), 0))
        if budget.written + growth <= budget.chars:
            budget.written += growth
            budget.lines[id(stream)] = line
            original(text)
            return written
        size = len(text)
        room = budget.chars - budget.written
        if room > 0:
            original(text[:room])
            budget.written = budget.chars
        budget.dropped += size - max(room, 0)
        return size

    stream.write = write
