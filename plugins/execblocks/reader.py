"""Pelican's Markdown reader, plus the execblocks extension for articles that have
executable blocks. It reads stored results; it never runs anything."""

from __future__ import annotations

import logging
from pathlib import Path

from markdown import Markdown
from pelican.readers import MarkdownReader
from pelican.utils import pelican_open

from .config import EngineSettings
from .errors import StaleResultsError
from .parse import parse_text
from .plan import FRESH, plan_article
from .render import ExecBlocksExtension, RenderedArticle, provenance_text
from .store import ResultsStore

logger = logging.getLogger(__name__)


class ExecMarkdownReader(MarkdownReader):
    def read(self, source_path):
        from . import ArticleResults, current_state

        state = current_state()
        settings = state.settings if state else EngineSettings.from_pelican(self.settings)
        with pelican_open(source_path) as text:
            article = parse_text(text, Path(source_path), settings.root, settings.content_dir,
                                 dict(settings.block_defaults))
        if not article.executable:
            return super().read(source_path)
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
        markdown_settings = dict(self.settings["MARKDOWN"])
        markdown_settings["extensions"] = list(markdown_settings.get("extensions", [])) + [
            ExecBlocksExtension(rendered)]
        self._source_path = source_path
        self._md = Markdown(**markdown_settings)
        content = self._md.convert(text)
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
