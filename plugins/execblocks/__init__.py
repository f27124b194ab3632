"""execblocks: Markdown articles whose Python blocks run when the site is built.

A Pelican plugin (PLUGIN_PATHS convention). `register()` hooks the stages into Pelican,
all within one Pelican run:

    get_generators     parse -> plan -> execute -> store   (pipeline.update), at the
                       start of every run (so `pelican --autoreload` and livereload rerun
                       what an edit made stale); its report goes into the run's settings
                       as a BuildSession (session.py)
    readers_init       Markdown reader that renders stored results   (reader.py, render.py)
    initialized        Jinja's finalize resolves `{static}` in figures' srcset (srcset.py)
    feed_generated     ... and so do feeds
    content_object_init  download links for each page's location
    (ResultsGenerator) copy figures, write the downloads: .ipynb, .py, runnable .zip   (output.py)

The public names below are what tasks.py and tests use.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import BlockOptions, EngineSettings
from .errors import (ArticleSyntaxError, BlockExecutionError, CorruptEntryError, ExecBlocksError,
                     StaleResultsError, StoreLockedError)
from .pipeline import BuildReport, check, status, update
from .record import Environment, Provenance
from .session import SESSION_KEY, BuildSession, session_of

__all__ = ["register", "update", "status", "check", "EngineSettings", "BlockOptions", "BuildReport",
           "BuildSession", "session_of", "ExecBlocksError", "ArticleSyntaxError", "BlockExecutionError",
           "StaleResultsError", "StoreLockedError", "CorruptEntryError"]


@dataclass
class ArticleResults:
    """`article.execblocks` in templates: downloads and the run's provenance."""

    notebook_path: str  # results/<id>/<slug>.ipynb, from the site's root
    script_path: str
    bundle_path: str  # the runnable .zip: notebook, the project files it read, requirements
    provenance: Provenance | None  # the shown run: executed_at, duration_s, block_seconds, worker
    environment: Environment  # device, versions
    summary: str  # the provenance as one line: "60.6 s · cpu · Python 3.11.7 · ... · 2026-11-25"
    notebook_url: str = ""  # the paths as this page links them (set once its URL is known)
    script_url: str = ""
    bundle_url: str = ""
    run: object = None  # render.RunTable: device, versions, date, per-block times (the footer's table)


def register():
    from pelican import signals

    from . import fatal

    fatal.install()  # Pelican's fatal errors as one line naming the file
    signals.get_generators.connect(_on_run_start)
    signals.readers_init.connect(_on_readers_init)
    signals.initialized.connect(_on_initialized)
    signals.content_object_init.connect(_on_content_init)
    signals.feed_generated.connect(_on_feed_generated)


def _on_run_start(pelican):
    """Bring results up to date before Pelican reads any article; hand the report to this
    run's readers through its settings; return the generator that writes result files."""
    from .output import ResultsGenerator

    pelican.settings.pop(SESSION_KEY, None)  # a failed update leaves no stale session behind
    settings = EngineSettings.from_pelican(pelican.settings)
    pelican.settings[SESSION_KEY] = BuildSession(settings, update(settings))
    # Pelican now writes into a folder beside the output, swapped in once complete; the swap
    # is the last thing finalized does (moved behind other plugins' receivers, every run).
    from pelican import signals

    from . import atomic_output

    atomic_output.begin(pelican)
    signals.finalized.disconnect(_on_site_complete)
    signals.finalized.connect(_on_site_complete)
    return ResultsGenerator


def _on_initialized(pelican) -> None:
    """Figures' srcset links, resolved where pages get their HTML (Pelican resolves only
    src/href, getpelican/pelican#2981): no content object is touched."""
    from .srcset import install

    install(pelican.settings)


def _on_feed_generated(context, feed) -> None:
    from .srcset import resolve_feed

    resolve_feed(feed)


def _on_site_complete(pelican) -> None:
    from . import atomic_output

    atomic_output.finish(pelican)


def _on_readers_init(readers) -> None:
    from .reader import ExecMarkdownReader, NotebookReader

    for reader in (ExecMarkdownReader, NotebookReader):
        for extension in reader.file_extensions:
            readers.reader_classes[extension] = reader


def _on_content_init(instance) -> None:
    """The template's download links, relative to this page (or absolute, as Pelican's are)."""
    results = getattr(instance, "execblocks", None)
    if not isinstance(results, ArticleResults):
        return
    from pelican.utils import get_relative_path

    if instance.settings.get("RELATIVE_URLS"):
        prefix = get_relative_path(instance.url or instance.save_as or "") + "/"
        prefix = "" if prefix == "./" else prefix
    else:
        prefix = instance.settings.get("SITEURL", "").rstrip("/") + "/"
    results.notebook_url = prefix + results.notebook_path
    results.script_url = prefix + results.script_path
    results.bundle_url = prefix + results.bundle_path
