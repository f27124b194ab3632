"""Each article's page as the reader made it, kept between builds so that a build reads
again only the articles whose inputs changed: in memory for the builds of one process
(`invoke livereload`), and on disk under CACHE_PATH for the next process (`invoke build`).

Pelican's own content cache (CACHE_CONTENT) is keyed on the source file alone, and an
article's page also depends on its stored results, so the site turns it off. This cache's
key holds everything the reader reads:

    the source text and path;
    the run's Pelican settings (normalised: objects by type, functions by name and code);
    the theme's static files (KaTeX renders the math) and the plugins' files, by stamp;
    Python's version and the installed files of the libraries that write the page
    (Python-Markdown, Pygments, Pelican, nh3, lxml, PyYAML), which an upgrade rewrites;
    the article's plan (fresh or not) and its stored entry's record, provenance, failure
    and verifications files, by stamp (the store replaces a file, never edits it);
    the bibliography's files and style (`Bibliography.bib_key`) and citeproc-py's files.

What goes in is conservative: only pages that use no browser library (which depends on
what is installed) and whose read logged nothing worse than a warning, and only once the
build that read them has finished the site (a bad formula fails a build after its pages
were read). A page's warnings are kept with it, and a build that reuses the page logs them
again: until the author fixes what they say, every build says it. A missing, changed, unreadable or corrupt input or entry is a
miss: the page is read again, and its entry replaced. An article that is gone takes its
entry with it (one file per article, so the folder never outgrows the site).

Trust. The entries are the build's own files, like `__pycache__`: a stored page is not
checked against the article (that would cost the very read it saves; the highlight and
formula caches, whose check is cheap, do check theirs). A block cannot plant one unseen:
a build whose kernels changed anything under CACHE_PATH fails, naming the file, and what
they created is removed (execute/project_writes.py). What gets published does not depend
on the cache at all: publishconf.py turns it off (EXECBLOCKS_PAGE_CACHE = False), so
`invoke publish` reads every article from the committed sources and results. `invoke
clean` deletes it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from execblocks.cache_folder import engine_cache
from execblocks.site.code_identity import code_identity
from execblocks.store.results_folder import FAILURE, PROVENANCE, RECORD, VERIFICATIONS, atomic_write

SETTING = "EXECBLOCKS_PAGE_CACHE"  # True (default) / False: whether builds reuse pages they read before
STORE_KEY = "EXECBLOCKS_PAGES"  # this run's PageCache, in its settings (site/pelican_signals.py)
FOLDER = "pages"  # under the engine's cache folder (CACHE_PATH/execblocks)
FORMAT = 3  # bump when what an entry holds, or what the reader makes of the same inputs, changes
ENTRY_FILES = (RECORD, PROVENANCE, FAILURE, VERIFICATIONS)
# Settings no reader reads, which differ by how a build was started: Pelican's command line
# sets DEBUG, PORT and BIND, `invoke rebuild` DELETE_OUTPUT_DIRECTORY, and `invoke build
# --force`, `run ARTICLE` and `--executor` what the update runs and where (it runs before
# any page is read, and what it stores reaches a page through the plan and the entry's
# files, both in its key). So `pelican`, `invoke build` and `invoke run` share entries.
NOT_READ = frozenset({"DEBUG", "PORT", "BIND", "DELETE_OUTPUT_DIRECTORY",
                      "EXECBLOCKS_MODE", "EXECBLOCKS_ONLY", "EXECBLOCKS_EXECUTOR"})
# The libraries whose output is the page (each by its module file's stamp: importlib.metadata,
# which would give their versions, costs 40 ms to import, a tenth of a no-op build).
WRITERS = ("markdown", "pygments", "pelican", "nh3", "lxml.etree", "yaml")


@dataclass(frozen=True)
class ReadPage:
    """What a read gave that the next build can reuse: the HTML, the Markdown header's
    fields (None for a YAML header, read again from the parse), the figures the page shows."""

    content: str
    meta: dict | None
    figures: tuple[str, ...] = ()
    warnings: tuple[tuple[str, int, str, str], ...] = ()  # (logger, level, message, template) the read logged


@dataclass
class PageCache:
    """`get` / `offer` while a build reads; `begin` and `commit` around the build.
    `folder`: where entries last between processes (None: this process's memory only)."""

    folder: Path | None = None
    pages: dict[str, tuple[str, ReadPage]] = field(default_factory=dict)  # source path -> (key, page)
    _offered: dict[str, tuple[str, ReadPage]] = field(default_factory=dict)  # read by the running build
    _asked: set[str] = field(default_factory=set)  # source paths this build read, hit or not

    def get(self, source_path: str, key: str) -> ReadPage | None:
        self._asked.add(source_path)
        kept = self.pages.get(source_path)
        if kept is None and self.folder is not None:
            kept = _load(self.folder / entry_name(source_path), source_path)
            if kept is not None:
                self.pages[source_path] = kept
        return kept[1] if kept is not None and kept[0] == key else None

    def offer(self, source_path: str, key: str, page: ReadPage) -> None:
        """A page this build read; kept once the build completes (`commit`)."""
        self._offered[source_path] = (key, page)

    def begin(self, folder: Path | None = None) -> None:
        """A build starts: what a failed one offered is dropped. `folder`: this build's."""
        if folder != self.folder:
            self.pages.clear()  # another site's, or kept only in memory until now
        self.folder = folder
        self._offered.clear()
        self._asked.clear()

    def commit(self) -> None:
        """The site is complete: keep what it read, and forget the articles it no longer has."""
        self.pages.update(self._offered)
        if self.folder is not None:
            for source_path, (key, page) in self._offered.items():
                _save(self.folder / entry_name(source_path), source_path, key, page)
            wanted = {entry_name(path) for path in self._asked}
            for stale in self.folder.glob("*.json") if self._asked else ():
                if stale.name not in wanted:
                    stale.unlink(missing_ok=True)
            for orphan in self.folder.glob(".*.tmp"):  # a build killed while writing one
                orphan.unlink(missing_ok=True)
        for gone in set(self.pages) - self._asked if self._asked else ():
            del self.pages[gone]
        self._offered.clear()
        self._asked.clear()


def folder_for(cache_dir: Path | None) -> Path | None:
    """Where a site's entries live: under its CACHE_PATH (None: no entries between processes)."""
    return engine_cache(cache_dir, FOLDER) if cache_dir is not None else None


def entry_name(source_path: str) -> str:
    return hashlib.sha256(source_path.encode()).hexdigest()[:32] + ".json"


def _load(path: Path, source_path: str) -> tuple[str, ReadPage] | None:
    """An entry as `_save` wrote it, or None (none, unreadable, corrupt, another format)."""
    try:
        data = json.loads(path.read_bytes())
        if data.get("format") != FORMAT or data.get("source") != source_path:
            return None
        meta = data["meta"]
        if meta is not None and not (isinstance(meta, dict) and all(
                isinstance(values, list) and all(isinstance(v, str) for v in values) for values in meta.values())):
            return None
        warnings = tuple((name, level, message, template) for name, level, message, template in data["warnings"])
        page = ReadPage(data["content"], meta, tuple(data["figures"]), warnings)
        if not (isinstance(data["key"], str) and isinstance(page.content, str)
                and all(isinstance(f, str) for f in page.figures)
                and all(isinstance(n, str) and type(lv) is int and isinstance(m, str) and isinstance(t, str)
                        for n, lv, m, t in warnings)):
            return None
        return data["key"], page
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _save(path: Path, source_path: str, key: str, page: ReadPage) -> None:
    """Written whole or not at all (the store's atomic_write, as the highlight and citation
    caches are). A full or read-only disk leaves the entry out, and the build goes on."""
    data = {"format": FORMAT, "source": source_path, "key": key, "content": page.content, "meta": page.meta,
            "figures": list(page.figures), "warnings": [list(said) for said in page.warnings]}
    try:
        atomic_write(path, json.dumps(data).encode("utf-8"))
    except OSError:
        pass


def writer_versions() -> str:
    """Python's version and the stamps of the libraries in WRITERS, for the run key."""
    return ";".join([sys.version, *map(library_version, WRITERS)])


def library_version(name: str) -> str:
    """A library's module file, by path, size and modification time, which installing
    another version rewrites. Found without importing it (a build that needs citeproc-py
    only to render citations it has not kept never imports it), and the same whether or not
    this process imported it already (its `__version__` is not: the key must not depend on
    what happened to be imported first)."""
    import importlib.util

    try:
        module = sys.modules.get(name)
        origin = module.__spec__.origin if module is not None else importlib.util.find_spec(name).origin
        stat = os.stat(origin)
        return f"{name}@{origin}:{stat.st_size}:{stat.st_mtime_ns}"
    except (ImportError, ValueError, AttributeError, TypeError, OSError):
        return f"{name}=-"


def run_key(settings: dict, theme: Path, code_folders: list[Path]) -> str:
    """The part of every page's key that is the same for the whole run."""
    digest = hashlib.sha256(f"{FORMAT}\0{writer_versions()}\0".encode())
    read = {name: value for name, value in settings.items() if name not in NOT_READ}
    digest.update(json.dumps(_normalised(read), sort_keys=True).encode())
    for folder in [theme / "static", *code_folders]:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
            if "__pycache__" not in path.parts and path.is_file():
                stat = path.stat()
                digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def page_key(run: str, source_path: str, text: str, plan_state: str | None, entry_dir: Path | None,
             bib_key: str | None) -> str:
    digest = hashlib.sha256(f"{run}\0{source_path}\0{plan_state}\0{bib_key}\0".encode())
    if entry_dir is not None:
        for name in ENTRY_FILES:
            try:
                stat = os.stat(entry_dir / name)
                digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ino}\n".encode())
            except FileNotFoundError:
                digest.update(f"{name}\0-\n".encode())
    digest.update(text.encode())
    return digest.hexdigest()


class WarningsSaid:
    """The warnings logged in this thread while it is entered, as (logger, level, message,
    template: the format string the message was made from, which Pelican's LOG_FILTER may name);
    `replayable` turns False on anything worse, or on one that carries a traceback.

    Taken where each record is made (logging's record factory), not by a handler: Pelican's
    loggers drop a message they already showed in this process before any handler sees it,
    and a page read the second time in one process (livereload) must keep its warning all
    the same, for the next process that reuses the page."""

    def __init__(self):
        self.said: list[tuple[str, int, str, str]] = []  # (logger, level, message, template)
        self.replayable = True
        self.thread = threading.get_ident()  # livereload's server logs from a thread of its own
        self._previous = None

    def _make(self, *args, **kwargs) -> logging.LogRecord:
        record = self._previous(*args, **kwargs)
        if record.thread == self.thread and record.levelno >= logging.WARNING:
            if record.levelno > logging.WARNING or record.exc_info:
                self.replayable = False
            message = record.getMessage()
            self.said.append((record.name, record.levelno, message,
                              record.msg if isinstance(record.msg, str) else message))
        return record

    def __enter__(self) -> "WarningsSaid":
        self._previous = logging.getLogRecordFactory()
        logging.setLogRecordFactory(self._make)
        return self

    def __exit__(self, *exc) -> None:
        logging.setLogRecordFactory(self._previous)


def say_again(page: ReadPage) -> None:
    """The warnings the page's read logged, logged again by the same loggers: a build that
    reuses the page says what a build that reads it says. Each goes through the logger's
    own `log`, so Pelican treats it as the first: its LOG_FILTER silences it (by text, or by
    template: `(logging.WARN, 'Empty alt attribute for image %s in %s')`, its documentation's
    example), and `--fatal warnings` fails the build on it."""
    for name, level, message, template in page.warnings:
        previous = logging.getLogRecordFactory()
        thread = threading.get_ident()
        pending = [message]

        def make(*args, **kwargs) -> logging.LogRecord:
            if pending and threading.get_ident() == thread:  # this call's record; any other thread's as before
                return SaidAgain(*args, said=pending.pop(), **kwargs)
            return previous(*args, **kwargs)

        logging.setLogRecordFactory(make)
        try:
            logging.getLogger(name).log(level, template)
        finally:
            logging.setLogRecordFactory(previous)


class SaidAgain(logging.LogRecord):
    """A warning said again: its `msg` is the template it was first made from (a filter by
    template sees it), its text the message as first made (the arguments are not kept)."""

    def __init__(self, *args, said: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.said = said

    def getMessage(self) -> str:  # noqa: N802 - logging's name
        return self.said


def _normalised(value):
    """`value` as JSON can hold it, the same for equal settings in two runs: objects made
    again each run (sessions, states, extensions) by their type, functions by their name."""
    if isinstance(value, dict):
        return [[str(k), _normalised(v)] for k, v in sorted(value.items(), key=lambda item: str(item[0]))]
    if isinstance(value, (list, tuple)):
        return [_normalised(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(str(v) for v in value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Path):
        return str(value)
    pattern = getattr(value, "pattern", None)
    if isinstance(pattern, str):  # a compiled regular expression
        return ["re", pattern, getattr(value, "flags", 0)]
    return code_identity(value)
