"""Each article's page as the reader made it, kept in memory between the builds of one
process (`invoke livereload`), so a rebuild reads again only the articles whose inputs changed.

Pelican's own content cache (CACHE_CONTENT) is keyed on the source file alone, and an
article's page also depends on its stored results, so the site turns it off. This cache's
key holds everything the reader reads:

    the source text and path;
    the run's Pelican settings (normalised: objects by type, functions by name and code);
    the theme's static files (KaTeX renders the math) and the plugins' code, by stamp;
    the article's plan (fresh or not) and its stored entry's record, provenance, failure
    and verifications files, by stamp (the store replaces a file, never edits it);
    the bibliography's files and style (`Bibliography.bib_key`).

What goes in is conservative: only pages that logged no warning (a later build shows the
warning again) and use no browser library (which depends on what is installed), and
only once the build that read them has finished the site (a bad formula fails a build
after its pages were read). A missing or changed input is a miss: the page is read again.

In memory only, never on disk: a block's code can write any file the build can, and a
stored page cannot be checked without reading the article again (the highlight and
formula caches check each entry against what their renderer makes). So `invoke build`,
one process per build, reads every article.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from execblocks.store.results_folder import FAILURE, PROVENANCE, RECORD, VERIFICATIONS

SETTING = "EXECBLOCKS_PAGE_CACHE"  # the PageCache a process's builds share (site/build.py)
ENTRY_FILES = (RECORD, PROVENANCE, FAILURE, VERIFICATIONS)


@dataclass(frozen=True)
class ReadPage:
    """What a read gave that the next build can reuse: the HTML, the Markdown header's
    fields (None for a YAML header, read again from the parse), the figures the page shows."""

    content: str
    meta: dict | None
    figures: tuple[str, ...] = ()


@dataclass
class PageCache:
    pages: dict[str, tuple[str, ReadPage]] = field(default_factory=dict)  # source path -> (key, page)
    _offered: dict[str, tuple[str, ReadPage]] = field(default_factory=dict)  # read by the running build

    def get(self, source_path: str, key: str) -> ReadPage | None:
        kept = self.pages.get(source_path)
        return kept[1] if kept is not None and kept[0] == key else None

    def offer(self, source_path: str, key: str, page: ReadPage) -> None:
        """A page this build read; kept once the build completes (`commit`)."""
        self._offered[source_path] = (key, page)

    def begin(self) -> None:
        """A build starts: what a failed one offered is dropped."""
        self._offered.clear()

    def commit(self) -> None:
        self.pages.update(self._offered)
        self._offered.clear()


def run_key(settings: dict, theme: Path, code_folders: list[Path]) -> str:
    """The part of every page's key that is the same for the whole run."""
    digest = hashlib.sha256()
    digest.update(json.dumps(_normalised(settings), sort_keys=True).encode())
    for folder, pattern in [(theme / "static", "*"), *((f, "*.py") for f in code_folders)]:
        for path in sorted(folder.rglob(pattern)) if folder.is_dir() else ():
            if path.is_file():
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


class WarningCount(logging.Handler):
    """Counts the records at WARNING and above logged while it is installed on the root logger."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1

    def __enter__(self) -> "WarningCount":
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        logging.getLogger().removeHandler(self)


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
    kind = value if isinstance(value, type) or callable(value) and hasattr(value, "__qualname__") else type(value)
    code = getattr(kind, "__code__", None)  # a function's body: an edited lambda is another function
    return (f"{getattr(kind, '__module__', '')}.{getattr(kind, '__qualname__', repr(kind))}"
            + (f"#{hashlib.sha256(code.co_code).hexdigest()[:16]}" if code is not None else ""))
