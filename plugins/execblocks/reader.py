"""Pelican's Markdown reader, plus the execblocks extension for articles that have
executable blocks. It reads stored results; it never runs, parses or plans anything:
this run's BuildSession (session.py) already holds each article parsed and planned."""

from __future__ import annotations

import logging

from markdown import Markdown
from pelican.readers import MarkdownReader
from pelican.utils import pelican_open

from .output import static_path
from .plan import FRESH
from .render import ExecBlocksExtension, RenderedArticle, provenance_text
from .session import session_of

logger = logging.getLogger(__name__)


class ExecMarkdownReader(MarkdownReader):
    def read(self, source_path):
        from . import ArticleResults

        session = session_of(self.settings)
        plan = session.plan_for(source_path) if session else None
        if plan is None:  # no executable blocks (or the engine did not run): plain Markdown
            return super().read(source_path)
        article, entry = plan.article, plan.entry
        if plan.state != FRESH:  # only in mode "off": strict and auto stop or run first
            logger.warning("execblocks: %s is %s (%s); rendering without its results",
                           article.rel_path, plan.state, "; ".join(plan.reasons))
            entry = None
        rendered = RenderedArticle(article, entry)
        markdown_settings = dict(self.settings["MARKDOWN"])
        markdown_settings["extensions"] = list(markdown_settings.get("extensions", [])) + [
            ExecBlocksExtension(rendered)]
        self._source_path = source_path
        self._md = Markdown(**markdown_settings)
        with pelican_open(source_path) as text:
            content = self._md.convert(text)
        meta = getattr(self._md, "Meta", {})
        # Pelican renders `Summary:` and other formatted fields through self._md: give it
        # one without the block extension, which belongs to the whole article only.
        self._md = Markdown(**self.settings["MARKDOWN"])
        metadata = self._parse_metadata(meta)
        if entry is not None and entry.record is not None:
            session.rendered[article.article_id] = rendered
            provenance = entry.provenance
            metadata["execblocks"] = ArticleResults(
                notebook_path=static_path(article.article_id, f"{article.slug}.ipynb"),
                script_path=static_path(article.article_id, f"{article.slug}.py"),
                provenance=provenance,
                environment=entry.record.environment,
                summary=provenance_text(entry.record.environment, provenance.duration_s if provenance else None,
                                        provenance.executed_at if provenance else None),
            )
        return content, metadata
