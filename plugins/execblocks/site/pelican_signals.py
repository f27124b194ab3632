"""The engine's receivers of Pelican's signals, all within one Pelican run (see `register()`).

    get_generators       parse -> plan -> execute -> store (pipeline.update) at the start of
                         every run; its report goes into the run's settings as a BuildSession;
                         the generators that write result files and copy browser libraries
    readers_init         Markdown/notebook readers that render stored results
    initialized          Jinja's finalize resolves `{static}` in figures' srcset
    feed_generated       ... and so do feeds
    content_object_init  download links for each page's location
    finalized            the finished site replaces output/ in one rename
"""

from __future__ import annotations

from execblocks.config import EngineSettings
from execblocks.pipeline import update
from execblocks.site import atomic_output, template_cache
from execblocks.site.article_results import ArticleResults
from execblocks.site.page_cache import SETTING as PAGE_CACHE, STORE_KEY as PAGES, PageCache, folder_for
from execblocks.site.session import SESSION_KEY, BuildSession


def connect() -> None:
    from pelican import signals

    signals.get_generators.connect(_on_run_start)
    signals.readers_init.connect(_on_readers_init)
    signals.initialized.connect(_on_initialized)
    signals.content_object_init.connect(_on_content_init)
    signals.feed_generated.connect(_on_feed_generated)


def _on_run_start(pelican):
    """Bring results up to date before Pelican reads any article; hand the report to this
    run's readers through its settings; return the generator that writes result files."""
    from execblocks.site.browser_libraries import BrowserLibrariesGenerator
    from execblocks.site.results_generator import ResultsGenerator

    pelican.settings.pop(SESSION_KEY, None)  # a failed update leaves no stale session behind
    settings = EngineSettings.from_pelican(pelican.settings)
    _begin_page_cache(pelican.settings, settings)
    _begin_template_cache(pelican.settings, settings)
    pelican.settings[SESSION_KEY] = BuildSession(settings, update(settings))
    # Pelican now writes into a folder beside the output, swapped in once complete; the swap
    # is the last thing finalized does (moved behind other plugins' receivers, every run).
    from pelican import signals

    atomic_output.begin(pelican)
    signals.finalized.disconnect(_on_site_complete)
    signals.finalized.connect(_on_site_complete)
    return ResultsGenerator, BrowserLibrariesGenerator


def _begin_page_cache(pelican_settings: dict, settings: EngineSettings) -> None:
    """The pages earlier builds read (site/page_cache.py): this process's own (livereload
    hands its PageCache in), else a new one over CACHE_PATH's entries. Off, or with no
    CACHE_PATH, nothing is reused between processes."""
    pages = pelican_settings.get(PAGES)
    if not pelican_settings.get(PAGE_CACHE, True):
        pelican_settings.pop(PAGES, None)
        return
    if not isinstance(pages, PageCache):
        pages = pelican_settings[PAGES] = PageCache()
    pages.begin(folder_for(settings.cache_dir))  # what a failed build read is not kept


def _begin_template_cache(pelican_settings: dict, settings: EngineSettings) -> None:
    """The theme's compiled templates (site/template_cache.py): livereload's, handed in through
    JINJA_ENVIRONMENT, else a new cache; on disk under CACHE_PATH unless the page cache is off.
    A bytecode cache of the author's own in JINJA_ENVIRONMENT is left as it is. Set before
    Pelican makes the generators, whose Jinja environments take it."""
    jinja = pelican_settings.get("JINJA_ENVIRONMENT") or {}
    cache = jinja.get("bytecode_cache")
    if cache is None:
        cache = template_cache.TemplateCodeCache()
        pelican_settings["JINJA_ENVIRONMENT"] = {**jinja, "bytecode_cache": cache}
    if isinstance(cache, template_cache.TemplateCodeCache):
        on_disk = pelican_settings.get(PAGE_CACHE, True)
        cache.begin(template_cache.folder_for(settings.cache_dir) if on_disk else None)


def _on_initialized(pelican) -> None:
    """Figures' srcset links, resolved where pages get their HTML (Pelican resolves only
    src/href, getpelican/pelican#2981): no content object is touched."""
    from execblocks.render.srcset import install

    install(pelican.settings)


def _on_feed_generated(context, feed) -> None:
    from execblocks.render.srcset import resolve_feed

    resolve_feed(feed)


def _on_site_complete(pelican) -> None:
    atomic_output.finish(pelican)
    pages = pelican.settings.get(PAGES)
    if isinstance(pages, PageCache):
        pages.commit()  # the site is complete: the pages this build read may be reused
    templates = (pelican.settings.get("JINJA_ENVIRONMENT") or {}).get("bytecode_cache")
    if isinstance(templates, template_cache.TemplateCodeCache):
        templates.commit()


def _on_readers_init(readers) -> None:
    from execblocks.site.reader import ExecMarkdownReader, NotebookReader

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
