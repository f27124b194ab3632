"""Pelican's Markdown reader, plus the execblocks extension for articles that have
executable blocks. It reads stored results; it never runs, parses or plans anything:
this run's BuildSession (session.py) already holds each article parsed and planned."""

from __future__ import annotations

import logging
from pathlib import Path

from markdown import Markdown
from pelican.readers import MarkdownReader
from pelican.utils import pelican_open

from .citations import bibliography_for
from .config import EngineSettings
from .crossref import ReferencesExtension
from .errors import ExecBlocksError
from .output import static_path
from .plan import FRESH
from .render import ExecBlocksExtension, RenderedArticle, provenance_text
from .session import session_of

logger = logging.getLogger(__name__)


class ExecMarkdownReader(MarkdownReader):
    def read(self, source_path):
        try:
            return self._read(source_path)
        except ExecBlocksError as error:
            # Pelican logs a reader's exception as "Could not process <file>" alone: say what
            # is wrong and where (an unknown cross-reference, file:line) before it does.
            logger.error("%s", error)
            raise

    def _read(self, source_path):
        from . import ArticleResults

        session = session_of(self.settings)
        plan = session.plan_for(source_path) if session else None
        with pelican_open(source_path) as text:
            # Cross-references and citations work in every article, executable or not.
            references = self._references(text, source_path, session)
        if plan is None:  # no executable blocks (or the engine did not run): plain Markdown
            content, meta = self._convert(text, source_path, [references])
            return content, self._parse_metadata(meta)
        article, entry = plan.article, plan.entry
        if plan.state != FRESH:  # only in mode "off": strict and auto stop or run first
            logger.warning("execblocks: %s is %s (%s); rendering without its results",
                           article.rel_path, plan.state, "; ".join(plan.reasons))
            entry = None
        rendered = RenderedArticle(article, entry)
        content, meta = self._convert(text, source_path, [ExecBlocksExtension(rendered), references])
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

    def _references(self, text: str, source_path, session) -> ReferencesExtension:
        settings = session.settings if session else EngineSettings.from_pelican(self.settings)
        path = Path(source_path).resolve()
        try:
            rel_path = path.relative_to(settings.root).as_posix()
        except ValueError:
            rel_path = str(source_path)
        return ReferencesExtension(rel_path, text, bibliography_for(text, path, rel_path, self.settings, settings.root))

    def _convert(self, text: str, source_path, extensions: list) -> tuple[str, dict]:
        """The article's HTML and its raw metadata, with the per-article extensions."""
        markdown_settings = dict(self.settings["MARKDOWN"])
        markdown_settings["extensions"] = list(markdown_settings.get("extensions", [])) + extensions
        self._source_path = source_path
        self._md = Markdown(**markdown_settings)
        content = self._md.convert(text)
        meta = getattr(self._md, "Meta", {})
        # Pelican renders `Summary:` and other formatted fields through self._md: give it
        # one without the per-article extensions, which belong to the whole article only.
        self._md = Markdown(**self.settings["MARKDOWN"])
        return content, meta
