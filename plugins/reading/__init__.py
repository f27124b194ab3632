"""reading: what makes the built pages read well, done when the site is built.

A Pelican plugin (PLUGIN_PATHS convention), separate from the execution engine: it
works on the HTML of every article and page, executable or not. It uses Pelican's public
extension points only (it never writes a content object's private fields):

    initialized                the template filters `plain_text` (descriptions) and `outline`
                               (an article's table of contents, from its content)
    get_generators             (each run) a Markdown extension in the run's MARKDOWN settings
                               (extension.py): as each document is read, sections start at h2,
                               footnotes -> sidenotes, scrolling boxes become keyboard regions,
                               TeX -> KaTeX (new formulas only; known ones from the cache
                               under CACHE_PATH, mathcache.py)
    content_object_init        a formula KaTeX rejected is located (file:line) in its document
    all_generators_finalized   ... and stops the build there, before anything is written
    feed_generated             feed entries without permalinks, provenance lines, KaTeX HTML
    content_written, finalized sitemap.xml with lastmod from Modified/Date (if SITEMAP is set)
    initialized, finalized     the static search index, by Pagefind from npm (search.py)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .extension import MathRun, ReadingExtension
from .feed import clean_for_feed
from .mathcache import FormulaCache, cache_file_for
from . import search
from .mathrender import SCRIPT as KATEX_RENDER_SCRIPT, MathError
from .sitemap import entry_for, render as render_sitemap
from .text import plain_text
from .toc import Outline, TocEntry, outline

__all__ = ["register", "MathError", "Outline", "TocEntry"]

BUNDLED_KATEX = Path(__file__).resolve().parents[2] / "theme" / "static" / "katex" / "katex.min.js"

# This run's sitemap and math live in its settings (every page's template context is a
# shallow copy of them, so they share it), so nothing is kept between runs in module state.
SITEMAP_STATE = "READING_SITEMAP"
MATH_STATE = "READING_MATH"


@dataclass
class SitemapState:
    entries: list = field(default_factory=list)
    output_path: str = ""  # where this run's writer puts pages (execblocks may point it at a temp folder)


def enabled(settings: dict) -> bool:
    """Pelican's signals are process-wide: once any run loaded this plugin, its handlers fire
    for every later run in the process too (tests build several sites). Act only for runs
    whose PLUGINS name it."""
    names = (getattr(p, "__name__", p) for p in settings.get("PLUGINS") or [])
    return any(isinstance(n, str) and n.rsplit(".", 1)[-1] == "reading" for n in names)


def register():
    from pelican import signals

    signals.initialized.connect(_on_initialized)
    signals.get_generators.connect(_on_run_start)
    signals.content_object_init.connect(_on_content_object_init)
    signals.all_generators_finalized.connect(_on_generators_finalized)
    signals.feed_generated.connect(_on_feed_generated)
    signals.content_written.connect(_on_content_written)
    signals.finalized.connect(_on_finalized)


def _on_initialized(pelican) -> None:
    settings = pelican.settings
    if not enabled(settings):
        return
    # Made here, before Pelican copies the settings into the run's context (content_written
    # gets that copy); emptied at the start of each run (`_on_run_start`).
    settings[SITEMAP_STATE] = SitemapState()
    filters = dict(settings.get("JINJA_FILTERS") or {})
    # Templates' <meta> descriptions: plain text, math as its TeX (not KaTeX's glyph soup).
    filters["plain_text"] = plain_text
    # `article.content|outline`: the table of contents (entries, top_level, show_toc).
    filters["outline"] = outline
    settings["JINJA_FILTERS"] = filters
    search.configure(settings)


def _on_run_start(pelican) -> None:
    """get_generators, sent at the start of every run (`pelican --autoreload` runs the same
    Pelican again): an empty sitemap, this run's math, and the Markdown extension that does
    the work, in its MARKDOWN settings before any reader is made."""
    settings = pelican.settings
    if not enabled(settings):
        return
    if SITEMAP_STATE in settings:
        settings[SITEMAP_STATE].entries.clear()  # the same object the run's context holds
    katex_js = katex_script(settings)
    math = MathRun(katex_js, FormulaCache(cache_file_for(settings), (katex_js, KATEX_RENDER_SCRIPT)))
    settings[MATH_STATE] = math
    # A new MARKDOWN dict, not an edit of the one given: settings passed in code may share it
    # between runs (tests do), and a later run must not get this run's extension too.
    markdown = dict(settings.get("MARKDOWN") or {})
    kept = [e for e in markdown.get("extensions", []) if not isinstance(e, ReadingExtension)]
    settings["MARKDOWN"] = dict(markdown, extensions=[*kept, ReadingExtension(math)])


def katex_script(settings: dict) -> Path:
    """The theme's KaTeX (the same version as its CSS and fonts), else the bundled one."""
    theme = Path(settings.get("THEME", ""))
    candidate = theme / "static" / "katex" / "katex.min.js"
    return candidate if candidate.is_file() else BUNDLED_KATEX


def _on_content_object_init(instance) -> None:
    math = instance.settings.get(MATH_STATE)
    if math is not None:
        math.documents.append(instance)
        if math.unplaced:
            math.locate(instance.source_path)


def _on_generators_finalized(generators) -> None:
    if not generators:
        return
    settings = generators[0].settings
    if SITEMAP_STATE in settings:
        settings[SITEMAP_STATE].output_path = generators[0].output_path
    math = settings.get(MATH_STATE)
    if math is not None:
        # What rendered is kept even when a bad formula stops this build.
        math.cache.save(lambda: (document.content for document in math.documents))
        math.raise_first()


def _on_feed_generated(context, feed) -> None:
    if not enabled(context):
        return
    for item in feed.items:
        for key in ("content", "description"):
            item[key] = clean_for_feed(item.get(key), item.get("link") or "")


def _on_content_written(path, context) -> None:
    state = context.get(SITEMAP_STATE)
    if context.get("SITEMAP") is None or not enabled(context) or state is None:
        return
    entry = entry_for(path, context, state.output_path or context.get("OUTPUT_PATH", ""))
    if entry is not None:
        state.entries.append(entry)


def _on_finalized(pelican) -> None:
    """The site is written (into the folder execblocks swaps in after this): its sitemap and
    its search index."""
    if not enabled(pelican.settings):
        return
    if pelican.settings.get("SITEMAP") is not None:
        _write_sitemap(pelican)
    if pelican.settings.get(search.SETTING):
        search.build_index(Path(pelican.output_path), pelican.settings[search.SETTING])


def _write_sitemap(pelican) -> None:
    config = pelican.settings["SITEMAP"]
    state = pelican.settings.get(SITEMAP_STATE)
    entries = state.entries if state else []
    text = render_sitemap(entries, pelican.settings.get("SITEURL", ""), config.get("exclude", []))
    (Path(pelican.output_path) / "sitemap.xml").write_text(text, encoding="utf-8")
