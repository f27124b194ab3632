"""`article.execblocks` in templates: an article's downloads and the run's provenance."""

from __future__ import annotations

from dataclasses import dataclass

from execblocks.store.records import Environment, Provenance


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
