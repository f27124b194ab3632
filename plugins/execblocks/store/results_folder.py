"""The committed results folder (Quarto's `_freeze/`): read, write atomically, prune.

One entry per article, at `<results>/<article id>/`:

    record.json      what the results are for: cache key, blocks, inline values,
                     dependencies with content hashes, environment, and a checksum
                     of every other file (the entry's commit point: written last)
    notebook.ipynb   the executed blocks as a notebook; images replaced by file names
    <sha>.png/.svg   figures and images, named by content hash (store/images.py: a figure's
                     light and dark renditions, full size and narrower; SVG sanitised)
    provenance.json  when it ran and for how long: the only file a rerun changes. A rerun
                     that reproduces the stored outputs byte for byte keeps the earlier
                     run as the one pages show (Provenance.shown), so pages do not change
    failure.json     the last failed run, kept beside the last good results
    verifications.json  the latest `invoke verify` reruns (records.Verification), each
                     naming the record.json it checked; kept when the results change

Every write goes to a temp file and is renamed into place, so a killed build
leaves either the old entry or the new one, and a half-written file fails its
checksum instead of being rendered.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from typing import TYPE_CHECKING

from execblocks.errors import CorruptEntryError, StoreLockedError
from execblocks.store.records import Failure, Provenance, Record, Verification

FORMAT = 2  # 2: typed record (store/records.py); timeout left the key
RECORD = "record.json"
NOTEBOOK = "notebook.ipynb"
PROVENANCE = "provenance.json"
FAILURE = "failure.json"
VERIFICATIONS = "verifications.json"
KEEP_VERIFICATIONS = 20  # the newest per article: enough history, a file that stays small

if TYPE_CHECKING:  # nbformat (with jsonschema) and filelock load only when a run is stored
    import nbformat


class Node(dict):
    """A stored notebook's dicts, read with attribute access like nbformat's NotebookNode
    (`cell.outputs`), without importing nbformat: rendering reads, it never validates
    (the record's checksums already vouch for the file)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def read_notebook(path: Path) -> Node:
    """A stored notebook as nbformat.reads gives it: multi-line strings joined again."""
    notebook = json.loads(path.read_text(encoding="utf-8"), object_hook=Node)
    for cell in notebook.get("cells", []):
        _join(cell, "source")
        for output in cell.get("outputs", []):
            _join(output, "text")
            for mime in output.get("data", {}):
                if "json" not in mime:  # nbformat keeps JSON mimetypes as data, not lines
                    _join(output["data"], mime)
    return notebook


def _join(holder: dict, key: str) -> None:
    if isinstance(holder.get(key), list):
        holder[key] = "".join(holder[key])


@dataclass
class StoredEntry:
    article_id: str
    directory: Path
    record: Record | None  # None when only a failure was ever stored
    provenance: Provenance | None  # None when missing or unreadable: it is informational only
    failure: Failure | None

    def notebook(self) -> Node:
        return read_notebook(self.directory / NOTEBOOK)

    def file(self, name: str) -> Path:
        return self.directory / name


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def canonical_json(data: dict) -> str:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def current_umask() -> int:
    """The process's umask, read without changing it where Linux allows (threads may write)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file 0600; results and downloads are served by a web server,
        # so they get the mode open() would give: 0666 minus the umask (0644 usually).
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _record_checksum(record: dict) -> str:
    """Of record.json's JSON without its checksum field, compact (json's C encoder: a
    freshness check of thousands of articles verifies thousands of records)."""
    body = {k: v for k, v in record.items() if k != "checksum"}
    return sha256_bytes(json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode())


def _checksum_matches(record: dict) -> bool:
    if record.get("checksum") == _record_checksum(record):
        return True
    # Records written before the compact form summed the indented JSON; still valid.
    body = {k: v for k, v in record.items() if k != "checksum"}
    return record.get("checksum") == sha256_bytes(canonical_json(body).encode())


class ResultsStore:
    """`verify_files`: hash every file an entry's record lists when reading it (`invoke check`,
    publishing). A build hashes only the files changed after their record.json: the store
    writes record.json last, and git checks a folder out in name order, record.json after
    the content-named figures and notebook.ipynb, so an untouched entry has none, and a
    no-op build reads every entry with a stat per file instead of a sha256 (it hashed every
    stored figure, 67 on this site). A file edited by hand or truncated is newer, hashed,
    and found corrupt; one put back with an old mtime is found by `invoke check`."""

    def __init__(self, root: Path, verify_files: bool = False):
        self.root = Path(root)
        self.verify_files = verify_files

    def entry_dir(self, article_id: str) -> Path:
        return self.root / article_id

    # -- reading ---------------------------------------------------------------------
    def read(self, article_id: str) -> StoredEntry | None:
        """The entry, None when there is none; CorruptEntryError when it fails a check.
        The one reader of record.json, provenance.json and failure.json. (Paths as strings:
        a freshness check of thousands of entries spent more on Path objects than on reading.)"""
        directory = self.entry_dir(article_id)
        folder = os.fspath(directory)
        failure = self._read_optional(os.path.join(folder, FAILURE), Failure)
        try:
            with open(os.path.join(folder, RECORD), "rb") as handle:
                raw = handle.read()
                written = os.fstat(handle.fileno()).st_mtime_ns
        except FileNotFoundError:
            return StoredEntry(article_id, directory, None, None, failure) if failure else None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise CorruptEntryError(article_id, f"{RECORD} unreadable: {exc}") from None
        if not isinstance(data, dict) or not _checksum_matches(data):
            raise CorruptEntryError(article_id, f"{RECORD} fails its checksum")
        if data.get("format") != FORMAT:
            raise CorruptEntryError(article_id, f"{RECORD} was written by another engine version "
                                    f"(format {data.get('format')}, this one reads {FORMAT})")
        try:
            record = Record.from_json(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise CorruptEntryError(article_id, f"{RECORD} lacks a field ({exc})") from None
        for name, expected in record.files.items():
            path = os.path.join(folder, name)
            try:
                changed = os.stat(path).st_mtime_ns > written
            except FileNotFoundError:
                raise CorruptEntryError(article_id, f"{name} is missing") from None
            if (self.verify_files or changed) and sha256_file(Path(path)) != expected:
                raise CorruptEntryError(article_id, f"{name} fails its checksum")
        return StoredEntry(article_id, directory, record,
                           self._read_optional(os.path.join(folder, PROVENANCE), Provenance), failure)

    @staticmethod
    def _read_optional(path, kind):
        try:
            with open(path, "rb") as handle:
                return kind.from_json(json.loads(handle.read().decode("utf-8")))
        except (FileNotFoundError, ValueError, UnicodeDecodeError, KeyError, TypeError):
            return None

    def verifications(self, article_id: str) -> list[Verification]:
        """The article's verifications, oldest first (none when there is no readable file).
        The one reader of verifications.json."""
        try:
            data = json.loads((self.entry_dir(article_id) / VERIFICATIONS).read_text(encoding="utf-8"))
            return [Verification.from_json(v) for v in data["verifications"]]
        except (FileNotFoundError, ValueError, UnicodeDecodeError, KeyError, TypeError):
            return []

    def record_digest(self, article_id: str) -> str:
        """sha256 of the entry's record.json: it holds every output file's checksum, so it
        names these very outputs (what a verification vouches for)."""
        return sha256_file(self.entry_dir(article_id) / RECORD)

    def entry_ids(self) -> list[str]:
        """Every folder holding a record.json or a failure.json, relative to the root. One
        walk of the tree (every no-op build asks, to know there is nothing to prune)."""
        found = set()
        for folder, _, files in os.walk(self.root):  # symlinked folders are not entered, as rglob does not
            if RECORD in files or FAILURE in files:
                found.add(Path(folder).relative_to(self.root).as_posix())
        return sorted(found)

    # -- writing ---------------------------------------------------------------------
    def write(self, article_id: str, record: Record, notebook: "nbformat.NotebookNode",
              provenance: Provenance, max_image_pixels: int | None = None) -> StoredEntry:
        """Store a successful run. Images move out of the notebook into files (store/images.py);
        a block's own PNG over `max_image_pixels` is replaced by a notice."""
        import nbformat

        from execblocks.store.images import externalise  # only a run's store needs it (SVG sanitising, images)

        directory = self.entry_dir(article_id)
        notebook = copy.deepcopy(notebook)
        files: dict[str, str] = {}

        def name_for(data: bytes, suffix: str) -> str:
            return sha256_bytes(data)[:16] + suffix  # named by content: same figure, same file

        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                for image in externalise(output, name_for, max_image_pixels):
                    digest = sha256_bytes(image.data)
                    if not (directory / image.name).exists() or sha256_file(directory / image.name) != digest:
                        atomic_write(directory / image.name, image.data)
                    files[image.name] = digest
        notebook_bytes = nbformat.writes(notebook).encode() + b"\n"
        atomic_write(directory / NOTEBOOK, notebook_bytes)
        files[NOTEBOOK] = sha256_bytes(notebook_bytes)
        data = dict(replace(record, files=files).to_json(), format=FORMAT)
        data["checksum"] = _record_checksum(data)
        record_bytes = canonical_json(data).encode()
        # The record holds every output file's checksum: the same bytes mean the same outputs.
        unchanged = (directory / RECORD).exists() and (directory / RECORD).read_bytes() == record_bytes
        if unchanged:
            previous = self._read_optional(directory / PROVENANCE, Provenance)
            if previous is not None:
                provenance = replace(provenance, shown_run=previous.shown)
        atomic_write(directory / PROVENANCE, canonical_json(provenance.to_json()).encode())
        # Skip identical rewrites so an unchanged rerun leaves mtimes and git alone.
        if not unchanged:
            atomic_write(directory / RECORD, record_bytes)
        self.clear_failure(article_id)
        # Verifications stay: each names the record.json it checked (older results' ones no
        # longer count, but say the article was reproduced before).
        keep = set(files) | {RECORD, PROVENANCE, VERIFICATIONS}
        for path in directory.iterdir():
            if path.is_file() and path.name not in keep and not path.name.startswith("."):
                path.unlink()
        return self.read(article_id)

    def add_verification(self, article_id: str, verification: Verification) -> None:
        """Append a verification (the one writer of verifications.json)."""
        kept = (self.verifications(article_id) + [verification])[-KEEP_VERIFICATIONS:]
        atomic_write(self.entry_dir(article_id) / VERIFICATIONS,
                     canonical_json({"verifications": [v.to_json() for v in kept]}).encode())

    def write_failure(self, article_id: str, failure: Failure) -> None:
        """Record a failed run without touching the last good results."""
        atomic_write(self.entry_dir(article_id) / FAILURE, canonical_json(failure.to_json()).encode())

    def clear_failure(self, article_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.entry_dir(article_id) / FAILURE).unlink()

    def prune(self, live_ids: set[str]) -> list[str]:
        """Remove entries no article refers to any more."""
        removed = []
        for article_id in self.entry_ids():
            if article_id not in live_ids:
                shutil.rmtree(self.entry_dir(article_id))
                removed.append(article_id)
        for directory in sorted(self.root.rglob("*"), reverse=True) if self.root.exists() else []:
            if directory.is_dir() and not any(directory.iterdir()):
                directory.rmdir()
        return removed

    # -- concurrency ------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, timeout: float, say=print):
        """One build at a time: a second one waits (saying so), then gives up clearly."""
        self.root.mkdir(parents=True, exist_ok=True)
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.root / ".lock"))
        start = time.monotonic()
        try:
            lock.acquire(timeout=0)
        except Timeout:
            say(f"execblocks: another build is using {self.root / '.lock'}; waiting up to {timeout:.0f} s")
            try:
                lock.acquire(timeout=timeout)
            except Timeout:
                raise StoreLockedError(str(self.root / ".lock"), time.monotonic() - start) from None
        try:
            yield
        finally:
            lock.release()
