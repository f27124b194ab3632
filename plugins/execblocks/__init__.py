"""execblocks: Markdown articles whose Python blocks run when the site is built.

A Pelican plugin (PLUGIN_PATHS convention). `register()` hooks the stages into Pelican:

    get_generators     parse -> plan -> execute -> store   (pipeline.update), at the
                       start of every run, so `pelican --autoreload` reruns what an edit made stale
    readers_init       Markdown reader that renders stored results   (render.py)
    content_object_init  resolve result URLs for each page's location
    finalized          copy figures and the downloadable .ipynb / .py into the output

The public names below are what tasks.py and tests use.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .config import BlockOptions, EngineSettings
from .errors import (ArticleSyntaxError, BlockExecutionError, CorruptEntryError, ExecBlocksError,
                     StaleResultsError, StoreLockedError)
from .pipeline import BuildReport, check, status, update
from .record import Environment, Provenance

__all__ = ["register", "update", "status", "check", "EngineSettings", "BlockOptions", "BuildReport",
           "ExecBlocksError", "ArticleSyntaxError", "BlockExecutionError", "StaleResultsError",
           "StoreLockedError", "CorruptEntryError"]


@dataclass
class _BuildState:
    """What one Pelican run shares between its signal handlers."""

    settings: EngineSettings
    plans: dict = field(default_factory=dict)  # article path -> ArticlePlan
    rendered: dict = field(default_factory=dict)  # article id -> RenderedArticle


_state: _BuildState | None = None


@dataclass
class ArticleResults:
    """`article.execblocks` in templates: downloads and the run's provenance."""

    notebook_url: str
    script_url: str
    provenance: Provenance | None  # executed_at, duration_s, block_seconds
    environment: Environment  # device, versions
    summary: str  # the provenance as one line: "60.6 s · cpu · Python 3.11.7 · ... · 2026-11-25"


def register():
    from pelican import signals

    from . import fatal

    fatal.install()  # Pelican's fatal errors as one line naming the file
    signals.get_generators.connect(_on_run_start)
    signals.readers_init.connect(_on_readers_init)
    signals.content_object_init.connect(_on_content_init)
    signals.finalized.connect(_on_finalized)


def _on_run_start(pelican) -> None:
    """Bring results up to date before Pelican reads any article (returns no generator)."""
    global _state
    settings = EngineSettings.from_pelican(pelican.settings)
    report = update(settings)
    # Pelican now writes into a folder beside the output, swapped in once complete; the swap
    # is the last thing finalized does (moved behind other plugins' receivers, every run).
    from pelican import signals

    from . import atomic_output

    atomic_output.begin(pelican)
    signals.finalized.disconnect(_on_site_complete)
    signals.finalized.connect(_on_site_complete)
    _state = _BuildState(settings, {str(p.article.path): p for p in report.plans})


def _on_site_complete(pelican) -> None:
    from . import atomic_output

    atomic_output.finish(pelican)


def _on_readers_init(readers) -> None:
    from .reader import ExecMarkdownReader

    for extension in ExecMarkdownReader.file_extensions:
        readers.reader_classes[extension] = ExecMarkdownReader


def current_state() -> _BuildState | None:
    return _state


def _on_content_init(instance) -> None:
    results = getattr(instance, "execblocks", None)
    if not isinstance(results, ArticleResults) or _state is None:
        return
    from pelican.utils import get_relative_path

    from .render import ROOT_PLACEHOLDER

    if instance.settings.get("RELATIVE_URLS"):
        prefix = get_relative_path(instance.url or instance.save_as or "") + "/"
        prefix = "" if prefix == "./" else prefix
    else:
        prefix = instance.settings.get("SITEURL", "").rstrip("/") + "/"
    instance._content = instance._content.replace(ROOT_PLACEHOLDER, prefix)
    results.notebook_url = results.notebook_url.replace(ROOT_PLACEHOLDER, prefix)
    results.script_url = results.script_url.replace(ROOT_PLACEHOLDER, prefix)


def _on_finalized(pelican) -> None:
    if _state is None:
        return
    from .downloads import write_downloads

    output = Path(pelican.output_path)
    for rendered in _state.rendered.values():
        if rendered.entry is None or rendered.entry.record is None:
            continue
        target = output / "results" / rendered.article.article_id
        target.mkdir(parents=True, exist_ok=True)
        for name in sorted(set(rendered.figures)):
            shutil.copyfile(rendered.entry.file(name), target / name)
        write_downloads(rendered, target)
