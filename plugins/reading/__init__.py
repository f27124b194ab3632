"""reading: what makes the built pages read well, done when the site is built.

A Pelican plugin (PLUGIN_PATHS convention), separate from the execution engine: it
works on the HTML of every article and page, executable or not.

    all_generators_finalized   sections start at h2; footnotes -> sidenotes; scrolling boxes made keyboard
                               regions; all the site's TeX rendered by one KaTeX process;
                               each article's outline (table of contents)
    initialized                the `plain_text` template filter (descriptions)
    feed_generated             feed entries without permalinks, provenance lines, KaTeX HTML
    content_written, finalized sitemap.xml with lastmod from Modified/Date (if SITEMAP is set)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .feed import clean_for_feed
from .mathrender import MathError, formulas, render_batch, replace_math, source_line
from .regions import mark_scroll_regions
from .sidenotes import to_sidenotes
from .sitemap import entry_for, render as render_sitemap
from .text import plain_text
from .toc import Outline, TocEntry, outline, raise_headings

__all__ = ["register", "MathError", "Outline", "TocEntry"]

BUNDLED_KATEX = Path(__file__).resolve().parents[2] / "theme" / "static" / "katex" / "katex.min.js"
CONTENT_LISTS = ("articles", "translations", "drafts", "drafts_translations", "hidden_articles",
                 "hidden_translations", "pages", "hidden_pages", "draft_pages", "draft_translations")

# This run's sitemap lives in its settings (every page's template context is a shallow
# copy of them, so they share it), so nothing is kept between runs in module state.
SITEMAP_STATE = "READING_SITEMAP"


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
    signals.all_generators_finalized.connect(_on_generators_finalized)
    signals.feed_generated.connect(_on_feed_generated)
    signals.content_written.connect(_on_content_written)
    signals.finalized.connect(_on_finalized)


def _on_initialized(pelican) -> None:
    if not enabled(pelican.settings):
        return
    pelican.settings[SITEMAP_STATE] = SitemapState()
    # Templates' <meta> descriptions: plain text, math as its TeX (not KaTeX's glyph soup).
    pelican.settings.setdefault("JINJA_FILTERS", {})["plain_text"] = plain_text


def katex_script(settings: dict) -> Path:
    """The theme's KaTeX (the same version as its CSS and fonts), else the bundled one."""
    theme = Path(settings.get("THEME", ""))
    candidate = theme / "static" / "katex" / "katex.min.js"
    return candidate if candidate.is_file() else BUNDLED_KATEX


def _contents(generators) -> list:
    found = {}
    for generator in generators:
        for name in CONTENT_LISTS:
            for item in getattr(generator, name, None) or []:
                found[id(item)] = item
    return list(found.values())


def _on_generators_finalized(generators) -> None:
    from pelican.contents import Content

    if generators and SITEMAP_STATE in generators[0].settings:
        generators[0].settings[SITEMAP_STATE].output_path = generators[0].output_path
    contents = _contents(generators)
    if not contents or not enabled(contents[0].settings):
        return
    for item in contents:
        item._content = mark_scroll_regions(to_sidenotes(raise_headings(item._content or "")))
    summaries = [i for i in contents if isinstance(i.metadata.get("summary"), str)]
    batch = [f for i in contents for f in formulas(i._content)]
    batch += [f for i in summaries for f in formulas(i.metadata["summary"])]
    rendered = render_batch(batch, katex_script(contents[0].settings)) if batch else {}
    for item in contents:
        where = lambda tex, path=item.source_path: source_line(path, tex)  # noqa: E731
        item._content = replace_math(item._content, rendered, where)
        if item in summaries:
            item.metadata["summary"] = replace_math(item.metadata["summary"], rendered, where)
        item.outline = outline(item._content)
        item.has_math = 'class="katex' in item._content
    # Pelican memoizes content and summary per object: drop what was computed before.
    Content.get_content.cache.clear()
    Content.get_summary.cache.clear()


def _on_feed_generated(context, feed) -> None:
    if not enabled(context):
        return
    for item in feed.items:
        for key in ("content", "description"):
            item[key] = clean_for_feed(item.get(key))


def _on_content_written(path, context) -> None:
    state = context.get(SITEMAP_STATE)
    if context.get("SITEMAP") is None or not enabled(context) or state is None:
        return
    entry = entry_for(path, context, state.output_path or context.get("OUTPUT_PATH", ""))
    if entry is not None:
        state.entries.append(entry)


def _on_finalized(pelican) -> None:
    config = pelican.settings.get("SITEMAP")
    if config is None or not enabled(pelican.settings):
        return
    state = pelican.settings.get(SITEMAP_STATE)
    entries = state.entries if state else []
    text = render_sitemap(entries, pelican.settings.get("SITEURL", ""), config.get("exclude", []))
    (Path(pelican.output_path) / "sitemap.xml").write_text(text, encoding="utf-8")
