"""Resuming a run from the kernel's state before the first changed block.

After every block of a local run the kernel saves its state (kernel_snapshot.py) to a
staging folder; `SnapshotCache.keep` files it under the build cache (never committed):

    <cache>/<article id>/<prefix>.snap   the state after block i
    <cache>/<article id>/<prefix>.json   what a resume from it needs: for blocks 0..i, the
                                          executed cell, its seconds, and the project files
                                          it read with their hashes; the device
    <cache>/cells/<sha256>.json          executed cells, shared by every snapshot that has them

`<prefix>` is the hash of what decides blocks 0..i (the settings in the execution key,
then each block's code and execution options in turn): a snapshot can only be found by a
build whose first i+1 blocks are those that made it. `find` takes the latest one whose
blocks' files are unchanged too, so an edit to block k, or to a file first read by block
k, resumes from the state after block k-1. The cache is bounded (EXECBLOCKS_SNAPSHOT_BYTES):
the least recently used snapshots go first.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from execblocks.execute.widget_state import shows_widget

if TYPE_CHECKING:
    from execblocks.config import EngineSettings
    from execblocks.source.parse import Article

CELLS = "cells"
LATEST = "latest.json"  # the last successful run's record of every block (for skipping a tail)


@dataclass(frozen=True)
class Resume:
    """Where a run starts: block `start`, from `snapshot` (the state after block start-1)."""

    start: int = 0
    snapshot: Path | None = None
    cells: tuple[dict, ...] = ()  # blocks 0..start-1 as executed before (raw notebook cells)
    reads: tuple[str, ...] = ()  # project-relative files those blocks read
    block_seconds: tuple[float, ...] = ()
    device: str | None = None
    why_not: str = ""  # when start is 0 although an earlier run left snapshots: why
    entries: tuple[dict, ...] = ()  # the cache's record of blocks 0..start-1
    # Blocks skip_from.. are provably unaffected (execute/blocknames.py): they keep the cells
    # of the last run, whose record of them is `tail`, if the global state they start from
    # (random generators, rcParams) is what it was then: `expected_digest`.
    skip_from: int | None = None
    tail: tuple[dict, ...] = ()
    tail_cells: tuple[dict, ...] = ()
    expected_digest: str = ""

    @property
    def resumed(self) -> bool:
        return self.start > 0

    def without_skipping(self) -> "Resume":
        return replace(self, skip_from=None, tail=(), tail_cells=(), expected_digest="")


@dataclass
class Staged:
    """What the kernel left in the staging folder for one block."""

    block: int
    reads: list[str] = field(default_factory=list)  # absolute paths: files and imported modules
    snapshot: Path | None = None
    unpicklable: list[tuple[str, str]] = field(default_factory=list)
    digest: str = ""  # of the global state after it (execkernel.snapshot.globals_digest)
    imported: list[str] = field(default_factory=list)  # modules it imported


def prefix_keys(base: str, fingerprints: list[dict]) -> list[str]:
    """keys[i]: the hash of `base` (the settings in the execution key) and blocks 0..i."""
    keys, running = [], base
    for fingerprint in fingerprints:
        running = hashlib.sha256((running + json.dumps(fingerprint, sort_keys=True)).encode()).hexdigest()
        keys.append(running)
    return keys


def read_staged(staging: Path) -> dict[int, Staged]:
    found = {}
    for info_file in staging.glob("*.json"):
        info = json.loads(info_file.read_text())
        snapshot = staging / info["snapshot"] if info.get("snapshot") else None
        found[info["block"]] = Staged(info["block"], info["reads"] + info["modules"], snapshot,
                                      [tuple(pair) for pair in info.get("unpicklable") or []],
                                      info.get("digest", ""), info.get("imported", []))
    return found


class SnapshotCache:
    """The snapshots of every article, under one folder, at most `limit` bytes."""

    def __init__(self, folder: Path, limit: int, hashes):
        self.folder = Path(folder)
        self.limit = limit
        self.hashes = hashes  # path -> sha256, shared by the whole build (plan.FileHashes)

    def _article(self, article_id: str) -> Path:
        return self.folder / article_id

    def find(self, article_id: str, keys: list[str], root: Path, fingerprints: list[str] = (),
             names: list = (), final_reads: frozenset[str] = frozenset()) -> Resume:
        """The latest usable snapshot for these prefix keys (blocks 0..n-1), or a full run.
        With the blocks' `fingerprints` and `names` (blocknames.BlockNames), the tail of
        blocks that provably cannot be affected keeps the last run's cells."""
        folder = self._article(article_id)
        why_not = ""
        for index in range(len(keys) - 1, -1, -1):
            info_file = folder / f"{keys[index]}.json"
            try:
                info = json.loads(info_file.read_text())
            except (OSError, ValueError):
                continue
            if not self._files_unchanged(info["blocks"], root):
                continue
            if not info.get("snapshot") or not (folder / info["snapshot"]).is_file():
                if info.get("unpicklable") and not why_not:
                    culprits = ", ".join(f"{name} ({why})" for name, why in info["unpicklable"])
                    why_not = f"the state after block {index + 1} could not be saved: {culprits}"
                continue
            cells = [self._cell(b["cell"]) for b in info["blocks"]]
            if any(cell is None for cell in cells):
                continue
            shown = next((n for n, cell in enumerate(cells) if shows_widget(cell)), None)
            if shown is not None:  # its state was the earlier run's front end's (execute/widget_state.py)
                why_not = why_not or f"block {shown + 1} shows a Jupyter widget, whose state only a run through it records"
                continue
            resume = Resume(start=index + 1, snapshot=folder / info["snapshot"], cells=tuple(cells),
                            reads=tuple(sorted({rel for b in info["blocks"] for rel in b["reads"]})),
                            block_seconds=tuple(b["seconds"] for b in info["blocks"]),
                            device=info.get("device"), entries=tuple(info["blocks"]))
            return self._skipping(article_id, resume, root, list(fingerprints), list(names), final_reads)
        return Resume(why_not=why_not)

    def _skipping(self, article_id: str, resume: Resume, root: Path, fingerprints: list[str], names: list,
                  final_reads: frozenset[str]) -> Resume:
        """`resume` with the unaffected tail to skip, judged against the last run's record."""
        from execblocks.execute.blocknames import last_block_to_run

        count = len(fingerprints)
        try:
            latest = json.loads((self._article(article_id) / LATEST).read_text())["blocks"]
        except (OSError, ValueError, KeyError):
            return resume
        if len(latest) != count or resume.start >= count or len(names) != count:
            return resume
        # The last run must have had these very blocks before the resume point: its tail
        # cells were computed from that state.
        if any(latest[j].get("fingerprint") != fingerprints[j] for j in range(resume.start)):
            return resume
        unreliable = {j for j in range(resume.start + 1, count)
                      if latest[j].get("fingerprint") != fingerprints[j] or "digest" not in latest[j]
                      or not self._files_unchanged([latest[j]], root) or self._cell(latest[j]["cell"]) is None}
        last = last_block_to_run(names, resume.start, final_reads, unreliable)
        if last == count - 1 or "digest" not in latest[last]:
            return resume
        tail = tuple(latest[last + 1:])
        tail_cells = tuple(self._cell(b["cell"]) for b in tail)
        if any(shows_widget(cell) for cell in tail_cells):  # its widget state would be missing: run it
            return resume
        return replace(resume, skip_from=last + 1, tail=tail, tail_cells=tail_cells,
                       expected_digest=latest[last]["digest"])

    def _files_unchanged(self, blocks: list[dict], root: Path) -> bool:
        for block in blocks:
            for rel, digest in block["reads"].items():
                if self.hashes(root / rel) != digest:
                    return False
        return True

    def _cell(self, digest: str) -> dict | None:
        try:
            return json.loads((self.folder / CELLS / f"{digest}.json").read_text())
        except (OSError, ValueError):
            return None

    def _put_cell(self, cell: dict) -> str:
        text = json.dumps(cell, sort_keys=True)
        digest = hashlib.sha256(text.encode()).hexdigest()
        path = self.folder / CELLS / f"{digest}.json"
        if not path.exists():
            _write(path, text.encode())
        return digest

    def keep(self, article_id: str, keys: list[str], fingerprints: list[str], resume: Resume, cells: list[dict],
             seconds: list[float], staged: dict[int, Staged], reads_of, device: str | None) -> list[str]:
        """File the snapshots a run staged. `cells[i]`/`seconds[i]`: every block's executed
        cell and time (resumed and skipped ones included); `reads_of(i, paths)`: block i's
        project files -> hashes. Returns what could not be kept, said per block."""
        folder = self._article(article_id)
        notes = []
        if resume.resumed and resume.snapshot.exists():
            os.utime(resume.snapshot)  # used: the last to be dropped (touched after the run, not in it)
        blocks = [dict(entry, fingerprint=fingerprints[n]) for n, entry in enumerate(resume.entries)]
        stop = resume.skip_from if resume.skip_from is not None else len(keys)
        for index in range(resume.start, stop):
            block = staged.get(index)
            if block is None:  # the run stopped before it (an error)
                return notes
            blocks.append({"fingerprint": fingerprints[index], "cell": self._put_cell(cells[index]),
                           "seconds": seconds[index], "reads": reads_of(index, block.reads),
                           "imported": block.imported, "digest": block.digest})
            info = {"block": index, "blocks": blocks, "device": device, "snapshot": None}
            if block.snapshot is not None:
                name = f"{keys[index]}.snap"
                folder.mkdir(parents=True, exist_ok=True)
                shutil.move(block.snapshot, folder / name)
                info["snapshot"] = name
            elif not block.unpicklable:
                # No snapshot where saving would cost more than a tenth of rerunning
                # (execkernel.snapshot.worth_taking): nothing to resume from, so no sidecar
                # either (latest.json has its record), and an earlier run's files under this key go.
                (folder / f"{keys[index]}.snap").unlink(missing_ok=True)
                (folder / f"{keys[index]}.json").unlink(missing_ok=True)
                continue
            if block.unpicklable:
                info["unpicklable"] = [list(pair) for pair in block.unpicklable]
                notes.append(f"no snapshot after block {index + 1}: "
                             + ", ".join(f"{name} ({why})" for name, why in block.unpicklable))
            _write(folder / f"{keys[index]}.json", json.dumps(info).encode())
        blocks += [dict(entry) for entry in resume.tail]
        _write(folder / LATEST, json.dumps({"blocks": blocks}).encode())
        self.prune()
        return notes

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file()) if self.folder.is_dir() else 0

    def prune(self) -> None:
        """Drop the least recently used snapshots until the cache fits its limit, then the
        cells no snapshot refers to any more."""
        if not self.folder.is_dir():
            return
        snapshots = sorted(self.folder.glob("*/*.snap"), key=lambda p: p.stat().st_mtime_ns)
        total = self.size()
        dropped = False
        while snapshots and total > self.limit:
            oldest = snapshots.pop(0)
            total -= oldest.stat().st_size
            oldest.unlink()
            info = oldest.with_suffix(".json")
            if info.exists():
                total -= info.stat().st_size
                info.unlink()
            dropped = True
        if dropped:
            used = set()
            for info in self.folder.glob("*/*.json"):  # sidecars and latest.json
                used.update(b["cell"] for b in json.loads(info.read_text())["blocks"])
            for cell in (self.folder / CELLS).glob("*.json"):
                if cell.stem not in used:
                    cell.unlink()


def _write(path: Path, data: bytes) -> None:
    """Temp file + rename: a killed build leaves no half-written cache file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_bytes(data)
    os.replace(temp, path)


class Snapshots:
    """The engine's handle on snapshots for one build (local kernels only: a Dask worker's
    state stays on the worker)."""

    def __init__(self, settings: "EngineSettings"):
        from execblocks.execute.plan import file_hash

        self.settings = settings
        self.cache = SnapshotCache(settings.snapshot_dir, settings.snapshot_bytes, file_hash)

    def keys(self, article: "Article") -> list[str]:
        from execblocks.execute.plan import settings_key

        return prefix_keys(settings_key(self.settings), _fingerprints(article))

    def find(self, article: "Article") -> Resume:
        from execblocks.execute.blocknames import OPAQUE, BlockNames, block_names

        names = [block_names(b.code) if b.options.eval else BlockNames(frozenset(), frozenset(), frozenset())
                 for b in article.blocks]
        inline = [block_names(i.expr) for i in article.inline]
        # An inline expression the analysis cannot read forbids skipping anything.
        final_reads = frozenset().union(*(n.reads for n in inline))
        if any(n.opaque for n in inline):
            names = [OPAQUE] * len(names)
        return self.cache.find(article.article_id, self.keys(article), self.settings.root,
                               [_fingerprint_hash(f) for f in _fingerprints(article)], names, final_reads)

    def staging(self) -> Path:
        """A private folder outside the project where the kernel writes its snapshots."""
        return Path(tempfile.mkdtemp(prefix="execblocks-snapshots-"))

    def scratch(self, article: "Article") -> Path:
        """The article's scratch folder: the same path on every run (emptied first), in a
        folder of this user's that no one else can enter."""
        base = Path(tempfile.gettempdir()) / f"execblocks-scratch-{os.getuid()}"
        base.mkdir(mode=0o700, exist_ok=True)
        info = base.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
            return Path(tempfile.mkdtemp(prefix="execblocks-scratch-")) / "scratch"  # not ours: a private one
        folder = base / hashlib.sha256(str(article.path).encode()).hexdigest()[:16]
        shutil.rmtree(folder, ignore_errors=True)
        return folder

    def keep(self, result) -> list[str]:
        """File what a successful run's kernel staged (`result`: kernel_run.ExecutionResult);
        what could not be kept, said."""
        if result.staging is None:
            return []
        try:
            if result.error is not None or result.restore_failed:
                return []
            from execblocks.execute.plan import hash_dependencies

            article = result.article
            declared = {b.index: [article.path.parent / name for name in b.options.depends] for b in article.blocks}
            return self.cache.keep(
                article.article_id, self.keys(article), [_fingerprint_hash(f) for f in _fingerprints(article)],
                result.resume, result.block_cells, result.block_seconds,
                read_staged(result.staging),
                lambda index, paths: hash_dependencies([*paths, *declared[index]], self.settings),
                result.device)
        finally:
            shutil.rmtree(result.staging, ignore_errors=True)


def _fingerprints(article: "Article") -> list[dict]:
    return [{"code": b.code_hash, "options": b.options.execution_fields()} for b in article.blocks]


def _fingerprint_hash(fingerprint: dict) -> str:
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()
