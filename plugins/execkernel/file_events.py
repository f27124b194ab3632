"""What an audited `open` event says about a file (the kernel's audit hook reads it)."""

from __future__ import annotations

import os


def opened_file(args: tuple) -> tuple[str, bool] | None:
    """An audited `open` event's (absolute path, opened for writing?); None for a file
    descriptor. hooks.py's audit hook passes it on to snapshot.py's per-block record."""
    path, mode, flags = args
    if path is None or isinstance(path, int):
        return None
    writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
        mode is None and bool(flags & (os.O_WRONLY | os.O_RDWR)))
    return os.path.abspath(os.fsdecode(path)), writing
