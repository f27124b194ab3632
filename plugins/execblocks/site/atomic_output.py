"""Nothing half-published: Pelican writes the site into a folder beside `output/`, and
the finished site replaces `output/` in one rename.

A build that fails while writing (an error, a full disk, Ctrl-C) leaves `output/` as the
previous complete site; the unfinished folder (`.output.building-<pid>`) is removed by the
next build. The swap is Linux's renameat2(RENAME_EXCHANGE), atomic: a reader (or a web
server) sees the old site or the new one, never a mix and never no site; elsewhere two
renames, with no site only between them.

Every build writes a complete site (as Pelican's DELETE_OUTPUT_DIRECTORY); the names in
OUTPUT_RETENTION (e.g. `.git` for a gh-pages checkout, `CNAME`) are carried over from the
previous `output/`.

The site a swap replaces is kept as `.output.spare` and becomes the next build's folder:
Pelican then overwrites files that exist, as it does in `output/` without this module,
instead of creating every file anew and deleting the old site's (about 25 ms of system
time per build on this machine's ext4). What the build did not write is swept before the
swap: a file whose inode change time is older than the build's start marker. Files shared
with the served site by hard links (results, see site/results_generator.py) are never written in place.
With STATIC_CHECK_IF_MODIFIED, Pelican leaves up-to-date static files alone, so the sweep
could not tell them from stale ones: those builds start from an empty folder.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

# The folders beside output/ this module owns: `.output.building-<pid>` (a build in
# progress), `.output.previous-<pid>` (mid-swap where renameat2 is missing), `.output.spare`.
PREFIX = ".building-"
PREVIOUS = ".previous-"
SPARE = ".spare"
MARKER = ".execblocks-build-started"
RENAME_EXCHANGE = 2
AT_FDCWD = -100

# Where a path inside a build's folder is shown to the user: /x/.output.building-123/a -> /x/output/a
BUILDING_FOLDER = re.compile(r"(?P<parent>^|[/\\])\.(?P<name>[^/\\]+?)\.building-\d+(?=[/\\]|$)")
SWAP_KEY = "EXECBLOCKS_OUTPUT_SWAP"  # the run's OutputSwap, in the Pelican run's settings


@dataclass
class OutputSwap:
    """One Pelican run's folder beside output/, from `begin` to `finish`."""

    temp: Path  # where Pelican writes this run's site
    final: Path  # output/, which it replaces once complete
    started: int  # the start marker's ctime: files changed before it are the previous site's

    def discard(self) -> None:
        """A run that did not finish never leaves its half-written site (also at exit)."""
        shutil.rmtree(self.temp, ignore_errors=True)


def spare_path(final: Path) -> Path:
    """Where the site before last is kept for the next build of `final` (output/)."""
    return final.parent / f".{final.name}{SPARE}"


def is_site_folder(name: str) -> bool:
    """Whether a folder beside output/ is one of this module's (not the author's)."""
    return name.startswith(".") and (PREFIX in name or PREVIOUS in name or name.endswith(SPARE))


def shown_path(path: str) -> str:
    """A path inside a build's folder, as the user knows it (output/x.html)."""
    return BUILDING_FOLDER.sub(lambda m: f"{m['parent']}{m['name']}", str(path), count=1)


def begin(pelican) -> None:
    """Point this Pelican run at a fresh folder beside its output folder."""
    previous = pelican.settings.pop(SWAP_KEY, None)
    if previous is not None:  # a previous run of this Pelican object (autoreload) failed
        atexit.unregister(previous.discard)
        previous.discard()
        final = previous.final
    else:
        final = Path(pelican.output_path).resolve()
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(final)
    temp = final.parent / f".{final.name}{PREFIX}{os.getpid()}"
    shutil.rmtree(temp, ignore_errors=True)
    if not _reuse_spare(final, temp, pelican.settings):
        temp.mkdir()
    swap = OutputSwap(temp, final, _mark_start(temp))
    pelican.settings[SWAP_KEY] = swap
    pelican.output_path = str(temp)
    atexit.register(swap.discard)  # unregistered by finish: rebuilds (livereload) do not pile them up


def _reuse_spare(final: Path, temp: Path, settings: dict) -> bool:
    """Take the spare site as this build's folder (a rename: a concurrent build that took
    it first leaves this one an empty folder)."""
    if settings.get("STATIC_CHECK_IF_MODIFIED"):
        return False
    try:
        os.rename(spare_path(final), temp)
    except OSError:
        return False
    return True


def _mark_start(temp: Path) -> int:
    """The file system's own clock at the build's start: the marker's inode change time."""
    marker = temp / MARKER
    marker.write_bytes(b"")
    return marker.stat().st_ctime_ns


def _sweep(temp: Path, started: int) -> None:
    """Remove what this build did not write (its ctime is older than the start marker),
    then folders left empty."""
    for folder, subfolders, files in os.walk(temp, topdown=False):
        for name in files + [d for d in subfolders if os.path.islink(os.path.join(folder, d))]:
            path = os.path.join(folder, name)
            if os.lstat(path).st_ctime_ns < started:
                os.unlink(path)
        if folder != str(temp) and not os.listdir(folder):
            os.rmdir(folder)
    (temp / MARKER).unlink(missing_ok=True)


def finish(pelican) -> None:
    """The site is complete: carry over retained files, then swap it into place."""
    swap = pelican.settings.pop(SWAP_KEY, None)
    if swap is None:
        return
    atexit.unregister(swap.discard)
    temp, final = swap.temp, swap.final
    _sweep(temp, swap.started)
    for name in pelican.settings.get("OUTPUT_RETENTION", []) or []:
        old, new = final / name, temp / name
        if (old.exists() or old.is_symlink()) and not (new.exists() or new.is_symlink()):
            if old.is_dir() and not old.is_symlink():
                shutil.copytree(old, new, symlinks=True)
            else:
                shutil.copy2(old, new, follow_symlinks=False)
    if final.exists():
        if not _exchange(temp, final):
            previous = final.parent / f".{final.name}{PREVIOUS}{os.getpid()}"
            os.rename(final, previous)
            os.rename(temp, final)
            temp = previous
        _keep_as_spare(temp, final)  # now the previous site
    else:
        os.rename(temp, final)
    pelican.output_path = str(final)


def _keep_as_spare(previous: Path, final: Path) -> None:
    """The replaced site becomes the next build's folder; removed if a spare is there."""
    try:
        os.rename(previous, spare_path(final))
    except OSError:
        shutil.rmtree(previous, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    done = renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE)
    return done == 0


def remove_leftovers(final: Path) -> None:
    """Folders of builds that died before their swap (their process is gone)."""
    for path in final.parent.glob(f".{final.name}{PREFIX}*"):
        pid = path.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
            continue  # another build is writing it right now
        shutil.rmtree(path, ignore_errors=True)
    for path in final.parent.glob(f".{final.name}{PREVIOUS}*"):
        shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
