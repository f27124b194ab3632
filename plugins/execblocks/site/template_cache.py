"""The theme's compiled templates, kept between builds: in memory for the builds of one
process (`invoke livereload`), and on disk under CACHE_PATH for the next process
(`invoke build`), through Jinja's `BytecodeCache` interface (`JINJA_ENVIRONMENT["bytecode_cache"]`).

Pelican makes new Jinja environments on every run, and each compiles every template it
renders from source again: this theme's 17 templates, about 70 ms of CPU, a tenth of a
no-op build of this site and more than everything else the engine adds to it.

Jinja rejects an entry whose template source changed (its checksum), and one written for
another bytecode format or Python version (its magic header). An entry also belongs to
the environment options that decide what the compiler makes of a source (delimiters,
extensions, autoescape, finalize, the filters and tests it may call, ...) and to Jinja's
version: a settings edit or an upgrade never gets code compiled under the old ones.

Trust, as for the pages kept beside them (site/page_cache.py): the entries are the build's
own files, like `__pycache__`, and compiled code cannot be checked against its template
(that is the compile it saves). A block cannot plant one unseen: a build whose kernels
changed anything under CACHE_PATH fails, naming the file, and what they created is removed
(execute/project_writes.py). A block could as well rewrite an installed package, which no
build checks either: the disk cache opens no door that was shut. The same switch as the
page cache's turns it off (EXECBLOCKS_PAGE_CACHE = False, as publishconf.py sets it, leaves
the compiled code in memory only), and `invoke clean` deletes it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import CodeType

import jinja2
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

from execblocks.cache_folder import engine_cache
from execblocks.site.code_identity import code_identity
from execblocks.store.results_folder import atomic_write

FOLDER = "templates"  # under the engine's cache folder (CACHE_PATH/execblocks)


class TemplateCodeCache(BytecodeCache):
    """`begin` and `commit` around each build; Jinja calls the rest."""

    def __init__(self) -> None:
        self._code: dict[tuple, tuple[str, CodeType]] = {}  # (options, template key) -> (source checksum, code)
        self.folder: Path | None = None  # where entries last between processes (None: memory only)
        self._used: set[str] = set()  # the entry files this build loaded or wrote

    def begin(self, folder: Path | None) -> None:
        """A build starts; `folder`: its entries on disk, or None to keep them in memory only."""
        self.folder = folder
        self._used.clear()

    def load_bytecode(self, bucket: Bucket) -> None:
        options = compile_options(bucket.environment)
        kept = self._code.get((options, bucket.key))
        if kept is not None and kept[0] == bucket.checksum:
            bucket.code = kept[1]
        elif self.folder is not None:
            try:
                bucket.bytecode_from_string((self.folder / self._file(options, bucket.key)).read_bytes())
            except Exception:  # noqa: BLE001 - missing, unreadable or corrupt (pickle and marshal raise many kinds): compile
                bucket.reset()
            if bucket.code is not None:
                self._code[(options, bucket.key)] = (bucket.checksum, bucket.code)
        if self.folder is not None:
            self._used.add(self._file(options, bucket.key))

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is None:
            return
        options = compile_options(bucket.environment)
        self._code[(options, bucket.key)] = (bucket.checksum, bucket.code)
        if self.folder is not None:
            name = self._file(options, bucket.key)
            self._used.add(name)
            try:
                atomic_write(self.folder / name, bucket.bytecode_to_string())
            except OSError:  # a full or read-only disk leaves the entry out, and the build goes on
                pass

    def commit(self) -> None:
        """The site is complete: entries for templates it no longer renders, or rendered under
        other options, go, and so do the temporary files of a build killed while writing one."""
        if self.folder is None or not self.folder.is_dir():
            return
        for stale in self.folder.glob("*.code") if self._used else ():
            if stale.name not in self._used:
                stale.unlink(missing_ok=True)
        for orphan in self.folder.glob(".*.tmp"):
            orphan.unlink(missing_ok=True)

    @staticmethod
    def _file(options: tuple, key: str) -> str:
        return hashlib.sha256(repr((options, key, jinja2.__version__)).encode()).hexdigest()[:32] + ".code"

    def __len__(self) -> int:
        return len(self._code)


def folder_for(cache_dir: Path | None) -> Path | None:
    """Where a site's compiled templates live: under its CACHE_PATH (None: memory only)."""
    return engine_cache(cache_dir, FOLDER) if cache_dir is not None else None


def compile_options(environment) -> tuple:
    """What, besides the source, decides the code Jinja compiles a template to (Environment's
    documented options, and the filters and tests a template may name, which the compiler
    checks); callables by their code (site/code_identity.py), so a reloaded settings file's
    equal function matches."""
    def named(value):
        return code_identity(value) if callable(value) else value

    return (environment.block_start_string, environment.block_end_string, environment.variable_start_string,
            environment.variable_end_string, environment.comment_start_string, environment.comment_end_string,
            environment.line_statement_prefix, environment.line_comment_prefix, environment.trim_blocks,
            environment.lstrip_blocks, environment.newline_sequence, environment.keep_trailing_newline,
            tuple(sorted(environment.extensions)), environment.optimized, environment.is_async,
            named(environment.autoescape), named(environment.finalize),
            tuple(sorted(environment.filters)), tuple(sorted(environment.tests)))
