"""Blocks may not change the site behind the author's back: writes into the project are caught.

Blocks run with the project on disk, and could drop a `.md` into content/ (it would be
published), HTML into output/, or files anywhere in the project. A sandbox that makes
the project read-only (bubblewrap, namespaces) is not available everywhere the engine
runs (it needs unprivileged user namespaces; CI containers often lack them), so the
engine detects instead: it snapshots the project (every file's size, mtime and inode)
before the kernels start and compares after they stop. Files a block created are
removed; the build fails naming every file created, changed or deleted.

Files an author means a block to write (data a later block reads) go to the scratch
folder the engine gives every kernel: `os.environ["EXECBLOCKS_SCRATCH"]`, a private
temporary folder outside the project, removed when the article's run ends.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from execblocks.site.atomic_output import is_site_folder

SCRATCH_ENV = "EXECBLOCKS_SCRATCH"
# Folders whose churn is not the site's: tooling, caches, environments.
SKIPPED_DIRS = {".git", ".hg", "__pycache__", ".pytest_cache", ".ipynb_checkpoints", "node_modules",
                ".venv", "venv", ".mypy_cache", ".ruff_cache", ".tox", ".cache"}
SKIPPED_FILES = {".lock"}  # the results store's build lock

Stamp = tuple  # size, mtime_ns, inode (and, for the project's code, a content hash)
HASHED_LIMIT = 4 * 2**20  # code files are hashed too (an in-place rewrite can keep size and mtime)


@dataclass
class ProjectWrites:
    created: list[str] = field(default_factory=list)  # paths relative to the project root
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    new_dirs: list[str] = field(default_factory=list)  # every folder that did not exist before

    def __bool__(self) -> bool:
        return bool(self.created or self.changed or self.deleted)

    def describe(self, limit: int = 10) -> str:
        items = ([f"{p} (created; removed)" for p in self.created] + [f"{p} (changed)" for p in self.changed]
                 + [f"{p} (deleted)" for p in self.deleted])
        more = f", and {len(items) - limit} more" if len(items) > limit else ""
        return ", ".join(items[:limit]) + more

    def paths(self) -> set[str]:
        return set(self.created) | set(self.changed) | set(self.deleted)


def snapshot(root: Path, extra: tuple[Path, ...] = (), hashed: tuple[Path, ...] = ()) -> dict[str, Stamp]:
    """Every file under `root` (and `extra` folders outside it): relative path -> stamp.
    Folders are recorded too (stamp of size -1), so a planted empty folder is seen. Files
    under `hashed` folders (the project's code) also carry their content's hash."""
    found: dict[str, Stamp] = {}
    root = Path(root).resolve()
    hashed = tuple(Path(p).resolve() for p in hashed)
    tops = [root] + [Path(p).resolve() for p in extra if not Path(p).resolve().is_relative_to(root)]
    for top in tops:
        if not top.is_dir():
            continue
        for folder, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not is_site_folder(d)]
            base = Path(folder)
            for name in dirs:
                found[_key(base / name, root)] = (-1, 0, 0)
            for name in files:
                if name in SKIPPED_FILES:
                    continue
                path = base / name
                try:
                    stat = path.lstat()
                except FileNotFoundError:
                    continue
                stamp = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
                if stat.st_size <= HASHED_LIMIT and any(path.is_relative_to(base) for base in hashed):
                    stamp += (_digest(path),)
                found[_key(path, root)] = stamp
    return found


def _digest(path: Path) -> str:
    import hashlib

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _key(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def compare(before: dict[str, Stamp], after: dict[str, Stamp]) -> ProjectWrites:
    writes = ProjectWrites()
    for path, stamp in sorted(after.items()):
        if path not in before:
            if stamp[0] == -1:
                writes.new_dirs.append(path)
            # A new folder's files are listed on their own; list the folder only when empty.
            if stamp[0] == -1 and any(other.startswith(path + "/") for other in after if other not in before):
                continue
            writes.created.append(path)
        elif before[path] != stamp and stamp[0] != -1:
            writes.changed.append(path)
    writes.deleted = sorted(p for p, stamp in before.items() if p not in after and stamp[0] != -1)
    return writes


def remove_created(root: Path, writes: ProjectWrites) -> None:
    """Remove what a block planted (never what it changed: that was the author's file)."""
    def where(rel: str) -> Path:
        return Path(rel) if Path(rel).is_absolute() else Path(root) / rel

    for rel in writes.created:
        path = where(rel)
        if path.is_symlink() or path.is_file():
            path.unlink(missing_ok=True)
    for rel in sorted(writes.new_dirs, key=len):  # outermost first: rmtree takes what is inside
        shutil.rmtree(where(rel), ignore_errors=True)


WRITE_HINT = (f"Blocks may write only to their scratch folder, os.environ['{SCRATCH_ENV}'] (a private "
              f"temporary folder, see the README); the build removed what they created.")


def run_watched(settings, run, say=print):
    """Run the kernels (`run()` returns the ExecutionResults), then fail the articles whose
    blocks wrote into the project, naming the files; the files they created are removed.

    Blame needs evidence, since the author may be editing files while a long build runs:
    a change the kernels' audit hook saw them make (any file of the project), a file
    created in the content or output folder (a page that would be published; editor swap
    and backup files aside), or any change in the folders only the engine writes (results/,
    output/, Pelican's cache: a build holds the results lock while kernels run, so no other
    build writes results then). Other changes seen only by the snapshot are reported, not failed.

    And a run whose article read a file that changed while it ran (a `code/` module swapped
    by `os.replace`, a data file rewritten, by anyone) is not stored: its results would be
    keyed on the file as it is now, which the run may never have read."""
    from execblocks.errors import BlockExecutionError, BuildInterrupted

    engine_folders = [settings.results_dir, settings.output_dir] + ([settings.cache_dir] if settings.cache_dir else [])
    watched = (settings.content_dir, *engine_folders, *settings.code_dirs)
    before = snapshot(settings.root, watched, settings.code_dirs)
    try:
        results = run()
    except BuildInterrupted as interrupted:
        # The runs that ended before the signal are stored only when nothing changed in the
        # project: a write could also be the cancelled kernels', and blame needs evidence.
        if compare(before, snapshot(settings.root, watched, settings.code_dirs)):
            interrupted.finished = []
        raise
    seen = compare(before, snapshot(settings.root, watched, settings.code_dirs))
    if not seen:
        return results
    root = Path(settings.root).resolve()
    audited = {_key(Path(p).resolve(), root) for r in results for p in r.writes}
    published = tuple(_key(Path(d).resolve(), root) + "/" for d in (settings.content_dir, settings.output_dir))
    owned = tuple(_key(Path(d).resolve(), root) + "/" for d in engine_folders)

    def planted(rel: str) -> bool:
        name = rel.rsplit("/", 1)[-1]
        return rel.startswith(published) and not name.startswith(".") and not name.endswith(("~", ".swp"))

    writes = ProjectWrites(created=[p for p in seen.created if p in audited or planted(p) or p.startswith(owned)],
                           changed=[p for p in seen.changed if p in audited or p.startswith(owned)],
                           deleted=[p for p in seen.deleted if p in audited or p.startswith(owned)],
                           new_dirs=[d for d in seen.new_dirs
                                     if d.startswith(published) or d in audited or d.startswith(owned)])
    unexplained = sorted(seen.paths() - writes.paths())
    if unexplained:
        say(f"execblocks: note: files in the project changed while blocks ran (by a block's subprocess, "
            f"or by you): {', '.join(unexplained[:10])}")
    _fail_stale_reads(results, seen, root)
    if not writes:
        return results
    remove_created(settings.root, writes)
    culprits = [r for r in results if {_key(Path(p).resolve(), root) for p in r.writes} & writes.paths()] or results
    for result in culprits:
        article = result.article
        line = article.blocks[0].fence_line if article.blocks else 1
        result.error = BlockExecutionError(
            article.rel_path, line, 0, "ProjectWriteError", f"it wrote into the project: {writes.describe()}", "",
            subject="a block of this article" if len(culprits) == 1 else "a block of these articles",
            hint=WRITE_HINT)
    return results


def _fail_stale_reads(results, seen: ProjectWrites, root: Path) -> None:
    """A run that read a file which changed while kernels ran is not stored (an error, so
    the article reruns at the next build): which state of the file it read is unknown."""
    from execblocks.errors import BlockExecutionError

    moved = seen.paths()
    for result in results:
        if result.error is not None:
            continue
        stale = sorted({_key(Path(p).resolve(), root) for p in result.reads} & moved)
        if stale:
            article = result.article
            line = article.blocks[0].fence_line if article.blocks else 1
            result.error = BlockExecutionError(
                article.rel_path, line, 0, "ProjectChangedError",
                f"{', '.join(stale[:5])} changed while the article ran, so which version it read is unknown",
                "", subject="the run of this article",
                hint="Nothing was stored for it; build again (and leave the project's files alone while blocks run).")
