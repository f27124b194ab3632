"""Kernel side of the output cap (execblocks/execute/output_cap.py): a flood stops at its source.

Installed by hooks.install. Past its budget, a block's writes to sys.stdout / sys.stderr
are only counted, so 100 MB of prints never cross the wire (ipykernel sends them a
message at a time, which is what made a flood take minutes). After the block, the count
goes to the engine as one small display message, which the engine turns into the
"output truncated" notice. The budget is twice the engine's limit: the engine, counting
UTF-8 bytes, makes the exact cut. Stdlib and IPython only.
"""

from __future__ import annotations

import sys

CAP_MIME = "application/vnd.execblocks.dropped+json"


class _Budget:
    def __init__(self, chars: int):
        self.chars, self.written, self.dropped = chars, 0, 0


def install(limit: int) -> None:
    from IPython import get_ipython
    from IPython.display import publish_display_data

    budget = _Budget(2 * limit)

    def reset(*_):
        # IPython re-wraps write() around each cell to keep a copy of all output in its history
        # (in memory): wrap on top of that, per cell, so what is dropped is never kept or sent.
        # IPython puts its original back after the cell, which removes this wrapper too.
        budget.written = budget.dropped = 0
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
        size = len(text)
        room = budget.chars - budget.written
        if size <= room:
            budget.written += size
            return original(text)
        if room > 0:
            original(text[:room])
            budget.written = budget.chars
        budget.dropped += size - max(room, 0)
        return size

    stream.write = write
