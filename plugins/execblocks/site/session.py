"""One Pelican run's engine state, handed from the update to the render side.

At the start of each run (`get_generators`) the engine brings results up to date and
puts a BuildSession into the run's settings dict under SESSION_KEY. Pelican hands
that same dict to every reader, content object and signal of the run, so the reader
finds each article already parsed and planned there, and the `finalized` handler finds
what was rendered. Nothing is kept at module level or in the environment: `pelican
--autoreload` and livereload get a fresh session on every run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from execblocks.config import EngineSettings
from execblocks.execute.plan import ArticlePlan
from execblocks.source.parse import Article, resolved_path

if TYPE_CHECKING:
    from execblocks.pipeline import BuildReport
    from execblocks.render.blocks import RenderedArticle

SESSION_KEY = "EXECBLOCKS_SESSION"


@dataclass
class BuildSession:
    settings: EngineSettings
    report: "BuildReport"
    rendered: dict[str, "RenderedArticle"] = field(default_factory=dict)  # article id -> its page's results
    page_run_key: str | None = None  # the run's part of each page's key (site/page_cache.py), made once

    def __post_init__(self):
        self._plans = {p.article.path: p for p in self.report.plans}
        self._articles = {a.path: a for a in self.report.articles}

    def article_for(self, source_path) -> Article | None:
        """The article at `source_path` as the update parsed it (header, Markdown text)."""
        return self._articles.get(resolved_path(source_path))

    def plan_for(self, source_path) -> ArticlePlan | None:
        """The plan of the executable article at `source_path`; None for any other file."""
        return self._plans.get(resolved_path(source_path))


def session_of(settings: dict) -> BuildSession | None:
    """The session of the run these Pelican settings belong to (None outside a run)."""
    session = settings.get(SESSION_KEY)
    return session if isinstance(session, BuildSession) else None
