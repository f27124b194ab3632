"""Pelican's Markdown reader, plus the execblocks extension for articles that have
executable blocks. It reads stored results; it never runs anything."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from markdown import Markdown
from pelican.readers import MarkdownReader
from pelican.utils import pelican_open

from .config import EngineSettings
from .errors import StaleResultsError
from .frontmatter import blank_front_matter, find_front_matter, pelican_metadata
from .ipynb import read_notebook
from .parse import parse_notebook, parse_text
from .plan import FRESH, plan_article
from .render import ExecBlocksExtension, RenderedArticle, provenance_text
from .store import ResultsStore

logger = logging.getLogger(__name__)


class ExecMarkdownReader(MarkdownReader):
    """Markdown articles (`.md`, and Quarto's `.qmd`), with Pelican `Key: value` headers or
    a YAML front matter."""

    file_extensions = [*MarkdownReader.file_extensions, "qmd"]

    def read(self, source_path):
        with pelican_open(source_path) as text:
            return self.read_text(source_path, text)

    def read_text(self, source_path, text: str):
        from . import ArticleResults, current_state

        state = current_state()
        settings = state.settings if state else EngineSettings.from_pelican(self.settings)
        if Path(source_path).suffix == ".ipynb":  # `text` is its Markdown form; lines point into the .ipynb
            article = parse_notebook(Path(source_path), settings.root, settings.content_dir,
                                     dict(settings.block_defaults))
        else:
            article = parse_text(text, Path(source_path), settings.root, settings.content_dir,
                                 dict(settings.block_defaults))
        lines = text.split("\n")
        front = find_front_matter(lines, article.rel_path)
        entry, rendered = None, None
        extensions = list(self.settings["MARKDOWN"].get("extensions", []))
        if article.executable:
            plan = state.plans.get(str(article.path)) if state else None
            if plan is None:
                plan = plan_article(article, ResultsStore(settings.results_dir), settings)
            entry = plan.entry
            if plan.state != FRESH:
                if settings.mode == "strict":
                    raise StaleResultsError([(article.rel_path, "; ".join(plan.reasons) or plan.state)])
                logger.warning("execblocks: %s is %s (%s); rendering without its results",
                               article.rel_path, plan.state, "; ".join(plan.reasons))
                entry = None
            rendered = RenderedArticle(article, entry)
            extensions.append(ExecBlocksExtension(rendered))
        markdown_settings = dict(self.settings["MARKDOWN"], extensions=extensions)
        self._source_path = source_path
        self._md = Markdown(**markdown_settings)
        # A YAML header is read here, not by the meta extension (which only knows flat
        # `Key: value` lines): Markdown sees blank lines in its place.
        content = self._md.convert("\n".join(blank_front_matter(lines, front)))
        if front is not None:
            modified = dt.datetime.fromtimestamp(Path(source_path).stat().st_mtime, dt.timezone.utc)
            meta = pelican_metadata(front, modified)
        else:
            meta = getattr(self._md, "Meta", {})
        # Pelican renders `Summary:` and other formatted fields through self._md: give it
        # one without the block extension, which belongs to the whole article only.
        self._md = Markdown(**self.settings["MARKDOWN"])
        metadata = self._parse_metadata(meta)
        if entry is not None and entry.record is not None:
            if state:
                state.rendered[article.article_id] = rendered
            base = rendered.base_url
            provenance = entry.provenance
            metadata["execblocks"] = ArticleResults(
                notebook_url=f"{base}{article.slug}.ipynb",
                script_url=f"{base}{article.slug}.py",
                provenance=provenance,
                environment=entry.record.environment,
                summary=provenance_text(entry.record.environment, provenance.duration_s if provenance else None,
                                        provenance.executed_at if provenance else None),
            )
        return content, metadata


class NotebookReader(ExecMarkdownReader):
    """Jupyter notebooks: read as the Markdown article they amount to (see ipynb.py)."""

    file_extensions = ["ipynb"]

    def read(self, source_path):
        return self.read_text(source_path, read_notebook(Path(source_path), str(source_path)).text)
