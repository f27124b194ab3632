"""The results a page shows, put into the site as Pelican puts any file: a generator.

Figures are linked from the article's HTML as `{static}/results/<id>/<file>`; this
generator registers each one as Pelican static content, so Pelican itself writes the
right URL for every page (relative or absolute, feeds included), then copies the figures
and writes the downloads (notebook, script, runnable .zip) into `output/results/<id>/`.
It runs after the articles and pages generators, so every page has been rendered.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pelican.contents import Static
from pelican.generators import Generator

from .downloads import write_downloads
from .session import session_of

RESULTS_URL = "results"  # output/results/<article id>/<file>


def static_path(article_id: str, name: str) -> str:
    return f"{RESULTS_URL}/{article_id}/{name}"


class ResultsGenerator(Generator):
    def generate_context(self):
        session = session_of(self.settings)
        for rendered in session.rendered.values() if session else ():
            for name in sorted(set(rendered.figures)):
                path = static_path(rendered.article.article_id, name)
                self.context["static_content"][path] = Static(
                    content=None, metadata={"title": name, "save_as": path, "url": path},
                    settings=self.settings, source_path=str(rendered.entry.file(name)), context=self.context)
                # Pelican noted the `{static}` link; the file is ours to copy, not the
                # static generator's to look for under content/.
                self.context["static_links"].discard(path)

    def generate_output(self, writer):
        session = session_of(self.settings)
        for rendered in session.rendered.values() if session else ():
            target = Path(self.output_path) / RESULTS_URL / rendered.article.article_id
            target.mkdir(parents=True, exist_ok=True)
            for name in sorted(set(rendered.figures)):
                shutil.copyfile(rendered.entry.file(name), target / name)
            write_downloads(rendered, target, session.settings)
