"""Which installed distributions provide each top-level module, with their versions: what
a run's provenance pins (hooks._packages). Runs inside the kernel; imports nothing from
the engine.

`importlib.metadata.packages_distributions()` reads every installed distribution's file
list and metadata: 0.15-0.3 s of CPU at the end of every run here (some 140 distributions,
torch's and scipy's thousands of files), more than the rest of a short resumed run's
collection. Its answer only changes when a distribution is installed, upgraded or removed,
and each of those adds or removes a `.dist-info` folder (or a `.pth` file) in a folder of
`sys.path`, which changes that folder's mtime. So the answer is kept in a file named by
this interpreter, its `sys.path` and the mtimes of those of its folders that hold
distributions, in a folder of this user's that
no one else can write to; anything else (a folder not ours, a file that will not read)
means it is worked out again.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import tempfile


INSTALLED = (".dist-info", ".egg-info", ".egg-link", ".pth")  # what installing leaves in a folder


def _environment_key() -> str:
    """The interpreter, and each folder of sys.path that holds installed distributions with
    its mtime (a folder that holds none, such as the article's own, is named alone: its
    files come and go without changing what is installed)."""
    parts = [sys.executable, sys.version]
    for folder in sys.path:
        try:
            holds = any(name.endswith(INSTALLED) for name in os.listdir(folder or "."))
            parts.append(f"{folder}\0{os.stat(folder or '.').st_mtime_ns if holds else 'none'}")
        except OSError:
            parts.append(f"{folder}\0-")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _cache_folder() -> str | None:
    folder = os.path.join(tempfile.gettempdir(), f"execblocks-installed-{os.getuid()}")
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None  # not ours alone: someone else could plant an answer
    return folder


def _worked_out() -> dict[str, list[list[str]]]:
    from importlib import metadata

    versions: dict[str, list[str]] = {}
    owners: dict[str, list[list[str]]] = {}
    for top, dists in metadata.packages_distributions().items():
        for dist in dists:
            if dist not in versions:
                try:
                    versions[dist] = [metadata.metadata(dist)["Name"], metadata.version(dist)]
                except metadata.PackageNotFoundError:
                    continue
            owners.setdefault(top, []).append(versions[dist])
    return owners


def owners() -> dict[str, list[list[str]]]:
    """Top-level module -> [[distribution name, version], ...] of what is installed."""
    folder = _cache_folder()
    path = os.path.join(folder, _environment_key() + ".json") if folder else None
    if path is not None:
        try:
            with open(path) as file:
                return json.load(file)
        except (OSError, ValueError):
            pass
    found = _worked_out()
    if path is not None:
        temp = f"{path}.{os.getpid()}.tmp"
        try:
            with open(temp, "w") as file:
                json.dump(found, file)
            os.replace(temp, path)
        except OSError:
            pass
    return found
