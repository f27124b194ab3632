"""Keys, freshness, and what must run.

An article's results are fresh when the key (its blocks' code, the options that
change execution, inline expressions, the kernel) matches the stored one AND every
file the last run read still has the content hash recorded then. The environment
(library versions, device) is recorded and reported, and only invalidates results
when EXECBLOCKS_ENVIRONMENT_IN_KEY asks for it: a CPU-only CI may publish results
computed on a GPU.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from execkernel.policy import FIGURE_PIPELINE

from execblocks.config import EngineSettings
from execblocks.errors import ArticleSyntaxError, CorruptEntryError
from execblocks.source.parse import Article, Block
from execblocks.store.records import BlockFingerprint, Environment, Failure, Record
from execblocks.store.results_folder import ResultsStore, StoredEntry, sha256_file

FRESH, STALE, MISSING, FAILED = "fresh", "stale", "missing", "failed"
# Folder names never recorded as dependencies: tooling, caches, and build products.
IGNORED_PARTS = {".git", "__pycache__", ".pytest_cache", ".ipynb_checkpoints", "node_modules"}


@dataclass
class ArticlePlan:
    article: Article
    state: str  # fresh | stale | missing | failed
    reasons: list[str] = field(default_factory=list)  # why it is not fresh
    entry: StoredEntry | None = None

    @property
    def needs_run(self) -> bool:
        return self.state != FRESH

    @property
    def notes(self) -> list[str]:
        """What changed in the environment since the run (library versions, device): shown
        by `invoke status`, computed only when asked (reading versions costs milliseconds)."""
        if self.entry is None or self.entry.record is None:
            return []
        return _environment_notes(self.entry.record.environment)


def block_fingerprint(block: Block) -> BlockFingerprint:
    return BlockFingerprint(block.index, block.code_hash, block.options.execution_fields())


def execution_key(article: Article, settings: EngineSettings) -> str:
    """sha256 of what decides a run's outputs: each block's code and execution options
    (BlockOptions.execution_fields), the inline expressions, the kernel, the figure format,
    and the version of the kernel's figure code (a change that draws figures differently
    makes every result stale, rather than leave committed figures a rerun would not make)."""
    payload = _settings_payload(settings)
    payload["blocks"] = [{"code": b.code_hash, "options": b.options.execution_fields()} for b in article.blocks]
    payload["inline"] = [i.expr for i in article.inline]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def settings_key(settings: EngineSettings) -> str:
    """sha256 of the settings in the execution key: the start of every snapshot's prefix key
    (execute/resume.py), so a snapshot is only used under the settings that made it."""
    return hashlib.sha256(json.dumps(_settings_payload(settings), sort_keys=True).encode()).hexdigest()


def _settings_payload(settings: EngineSettings) -> dict:
    payload = {"kernel": settings.kernel_name, "figure_format": settings.figure_format,
               "figure_pipeline": FIGURE_PIPELINE}
    # Figure settings away from their defaults change what is stored (defaults stay out of
    # the key, so results stored before these settings existed stay fresh).
    for name, value, default in (("dark_figures", settings.dark_figures, True),
                                 ("max_figures", settings.max_figures, 50),
                                 ("max_figure_pixels", settings.max_figure_pixels, 25_000_000)):
        if value != default:
            payload[name] = value
    if settings.environment_in_key:
        payload["environment"] = current_environment()
    return payload


def file_hash(path) -> str | None:
    """The file's sha256, None when there is no such file. Computed once per file per
    planning pass (plan_articles starts a pass): 2,000 articles that import the same 18
    files cost 18 hashes, not 36,000."""
    return _hash_once(os.fspath(path))


@functools.lru_cache(maxsize=None)
def _hash_once(path: str) -> str | None:
    try:
        return sha256_file(Path(path))
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


@functools.lru_cache(maxsize=None)
def _project_file_hash(root: str, rel: str) -> str | None:
    # Per (root, rel), so 2,000 articles naming the same 18 files join 18 paths, not 36,000.
    return file_hash(os.path.join(root, rel))


def current_environment() -> dict[str, str]:
    """Versions as installed now, read from package metadata (importing nothing heavy)."""
    return dict(_installed_versions())


@functools.lru_cache(maxsize=1)
def _installed_versions() -> dict[str, str]:
    # Read once per planning pass (plan_articles clears it): each read costs milliseconds.
    versions = {"python": ".".join(map(str, sys.version_info[:3]))}
    for name, dist in (("numpy", "numpy"), ("torch", "torch"), ("matplotlib", "matplotlib")):
        try:
            versions[name] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return versions


def _not_dependencies(settings: EngineSettings) -> list[Path]:
    """Folders of the project whose files are never a result's dependency."""
    excluded = [settings.results_dir, settings.output_dir, settings.engine_dir, settings.kernel_dir,
                Path(sys.prefix).resolve()]
    if settings.snapshot_dir is not None:  # the snapshot cache: the engine's, never the article's
        excluded.append(settings.snapshot_dir)
    return excluded


def is_dependency(path: Path, settings: EngineSettings, excluded: list[Path] | None = None) -> bool:
    """Files under the project a result may depend on: not the environment, not outputs.
    `excluded`: _not_dependencies(settings), when the caller asks about many paths."""
    try:
        rel = path.relative_to(settings.root)
    except ValueError:
        return False
    if any(path == d or d in path.parents for d in excluded or _not_dependencies(settings)):
        return False
    return not (IGNORED_PARTS & set(rel.parts)) and path.is_file()


# Paths and folders resolved (_real_path) in this planning pass: a run's record asks about
# every module its kernel loaded, and its snapshots ask again, block by block. Emptied with
# the file hashes when a pass starts, so that a long-lived process (livereload) sees a link
# that was changed.
_resolved: dict[str, str] = {}


def hash_dependencies(paths, settings: EngineSettings) -> dict[str, str]:
    """The project files among `paths` (str or Path) -> their sha256."""
    found = {}
    excluded = None  # made for the first path inside the project (none, for most blocks' reads)
    resolved = _resolved
    inside = os.path.join(str(settings.root), "")
    for path in paths:
        name = str(path)
        real = resolved.get(name)
        if real is None:
            real = resolved[name] = _real_path(name, resolved)
        if not real.startswith(inside):  # most of them (the libraries' modules): no Path made
            continue
        path = Path(real)
        excluded = excluded if excluded is not None else _not_dependencies(settings)
        if is_dependency(path, settings, excluded):
            found[path.relative_to(settings.root).as_posix()] = file_hash(path)
    return dict(sorted(found.items()))


def _real_path(path: str, folders: dict[str, str]) -> str:
    """os.path.realpath(path), with each folder's resolved once (`folders` keeps them): a
    run reports every module its kernel loaded, ~3,900 files in some 300 folders for an
    article that imports torch, and realpath checks every part of every path (0.23 s of an
    edit's rebuild). Only the file itself is then asked whether it is a link."""
    if ".." in path.split(os.sep):  # realpath resolves a link before the ".." after it
        return os.path.realpath(path)
    path = os.path.abspath(path)
    if os.path.islink(path):
        return os.path.realpath(path)
    folder, name = os.path.split(path)
    if folder not in folders:
        folders[folder] = os.path.realpath(folder)
    return os.path.join(folders[folder], name)


def declared_dependencies(article: Article, root: Path | None = None) -> list[Path]:
    """`#| depends:` paths, relative to the article's folder (its working directory), and
    inside the project `root` once symlinks are resolved: `../../etc/passwd`, `/etc/passwd`
    or a link pointing out are refused, not silently recorded (or not)."""
    found = []
    for block in article.blocks:
        for name in block.options.depends:
            path = article.path.parent / name
            if root is not None and not Path(os.path.realpath(path)).is_relative_to(Path(os.path.realpath(root))):
                raise ArticleSyntaxError(article.rel_path, block.fence_line,
                                         f"depends: {name} is outside the project ({root.name}/); "
                                         f"list files of the project only (a symlink must point inside it too)")
            if not path.is_file():
                raise ArticleSyntaxError(article.rel_path, block.fence_line,
                                         f"depends: {name} is not a file (paths are relative to "
                                         f"the article's folder, {article.path.parent.name}/)")
            found.append(path)
    return found


def plan_article(article: Article, store: ResultsStore, settings: EngineSettings) -> ArticlePlan:
    try:
        entry = store.read(article.article_id)
    except CorruptEntryError as exc:
        return ArticlePlan(article, STALE, [f"stored result is corrupt ({exc.detail})"])
    if entry is None:
        return ArticlePlan(article, MISSING, ["no stored result"])
    key = execution_key(article, settings)
    failure = entry.failure
    if entry.record is None:  # only a failure on record, never a success
        return ArticlePlan(article, FAILED, [_failure_reason(failure)], entry=entry)
    record = entry.record
    reasons = []
    if record.key != key:
        reasons = _what_changed(article, record, settings) or ["execution settings changed"]
    reasons += _changed_dependencies(record.dependencies, settings)
    if failure and failure.key == key and not _changed_dependencies(failure.dependencies, settings):
        return ArticlePlan(article, FAILED, [_failure_reason(failure)] + reasons, entry)
    return ArticlePlan(article, STALE if reasons else FRESH, reasons, entry)


def _failure_reason(failure: Failure | None) -> str:
    if failure is None:
        return "last run failed"
    return f"last run failed at {failure.path}:{failure.line}: {failure.error}"


def _what_changed(article: Article, record: Record, settings: EngineSettings) -> list[str]:
    reasons = []
    stored = record.blocks
    for block in article.blocks:
        if block.index >= len(stored):
            reasons.append(f"block {block.index + 1} (line {block.fence_line}) is new")
        elif stored[block.index] != block_fingerprint(block):
            what = "code" if stored[block.index].code != block.code_hash else "options"
            reasons.append(f"block {block.index + 1} (line {block.fence_line}) {what} changed")
    if len(stored) > len(article.blocks):
        reasons.append(f"{len(stored) - len(article.blocks)} block(s) removed")
    if [i.expr for i in record.inline] != [i.expr for i in article.inline]:
        reasons.append("inline `{python}` expressions changed")
    if record.figure_pipeline != FIGURE_PIPELINE:
        reasons.append(f"its figures were made by figure pipeline {record.figure_pipeline}, "
                       f"now {FIGURE_PIPELINE} (execkernel/policy.py: FIGURE_PIPELINE)")
    if record.kernel != settings.kernel_name:
        reasons.append(f"kernel changed ({record.kernel} -> {settings.kernel_name})")
    if settings.environment_in_key and record.environment.installed != current_environment():
        reasons.append("environment changed (EXECBLOCKS_ENVIRONMENT_IN_KEY is on)")
    return reasons


def _changed_dependencies(recorded: dict[str, str], settings: EngineSettings) -> list[str]:
    reasons = []
    root = os.fspath(settings.root)
    for rel, digest in recorded.items():
        now = _project_file_hash(root, rel)
        if now is None:
            reasons.append(f"{rel} was deleted")
        elif now != digest:
            reasons.append(f"{rel} changed")
    return reasons


def _environment_notes(environment: Environment) -> list[str]:
    notes = []
    now = current_environment()
    for name, version in environment.versions.items():
        if name in now and now[name] != version:
            notes.append(f"{name} {version} when run, {now[name]} now")
    wanted = os.environ.get("BLOG_DEVICE")
    if wanted and environment.device and wanted != environment.device:
        notes.append(f"ran on {environment.device}, BLOG_DEVICE is {wanted}")
    return notes


def plan_articles(articles: list[Article], store: ResultsStore, settings: EngineSettings,
                  force: set[str] = frozenset()) -> list[ArticlePlan]:
    """One plan per article; the fresh ones whose id is in `force` are marked to rerun."""
    _installed_versions.cache_clear()  # a long-lived process (livereload) sees new installs
    _hash_once.cache_clear()  # one pass, one hash per file
    _project_file_hash.cache_clear()
    _resolved.clear()
    plans = [plan_article(a, store, settings) for a in articles]
    for plan in plans:
        if plan.state == FRESH and plan.article.article_id in force:
            plan.state, plan.reasons = STALE, ["forced"]
    return plans
