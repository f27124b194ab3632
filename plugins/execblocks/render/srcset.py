"""`{static}` links inside `srcset`, resolved from the `src` Pelican resolved.

Result files are linked as `{static}/results/<id>/<file>` (site/results_generator.py registers them as
static content), and Pelican rewrites such links in href/src for every page -- relative
on pages, absolute in feeds -- but not inside `srcset`, which holds several URLs
(getpelican/pelican#2981). A figure's renditions are in `srcset` (render/blocks.py `_picture`),
all in the folder of its `<img>`'s `src`. So once Pelican has resolved that `src`, each
`{static}` candidate of the same `<picture>` (or `<img>`) becomes the resolved folder plus
the candidate's file name: whatever form Pelican gave the `src` (`./results/x/a.png`,
`../results/...`, `https://site/results/...`), the renditions get the same.

It is applied where pages and feeds get their HTML, through public extension points:
templates by Jinja's `finalize` (set in JINJA_ENVIRONMENT: every `{{ ... }}` output, so any
theme, Pelican's `simple` included), feeds by the `feed_generated` signal. A string with no
`{static}` costs one substring search.
"""

from __future__ import annotations

import functools
import re

STATIC = "{static}"
# A <picture> (its <source>s and <img>), or an <img> outside one. Pictures do not nest.
FIGURE = re.compile(r"<picture\b.*?</picture>|<img\b[^>]*>", re.S)
SRCSET = re.compile(r'(\ssrcset=")([^"]*)(")')
IMG_SRC = re.compile(r'<img\b[^>]*?\ssrc="([^"]*)"')


def resolve_srcset(markup: str) -> str:
    """Every `{static}` srcset candidate, resolved like its figure's `src` (unchanged where that
    `src` is unresolved, or in another folder: Pelican has already warned about a missing file)."""
    if STATIC not in markup:
        return markup
    return _resolved(str(markup))


@functools.lru_cache(maxsize=64)
def _resolved(markup: str) -> str:
    # A pure function of the text, and templates output the same page text more than once
    # (the article, its feed entries, summaries): each distinct text is resolved once.
    return FIGURE.sub(_resolve_figure, markup)


def _resolve_figure(match: re.Match) -> str:
    figure = match.group(0)
    if STATIC not in figure or "srcset=" not in figure:
        return figure
    src = IMG_SRC.search(figure)
    if src is None or STATIC in src[1] or "/" not in src[1]:
        return figure
    folder = src[1].split("?", 1)[0].split("#", 1)[0].rpartition("/")[0] + "/"

    def candidates(found: re.Match) -> str:
        parts = []
        for candidate in found[2].split(","):
            url, _, descriptor = candidate.strip().partition(" ")
            if url.startswith(STATIC):
                stored_folder, _, name = url[len(STATIC):].lstrip("/").rpartition("/")
                if name and ("/" + folder).endswith(f"/{stored_folder}/" if stored_folder else "/"):
                    url = folder + name
            parts.append(f"{url} {descriptor}".strip())
        return found[1] + ", ".join(parts) + found[3]

    return SRCSET.sub(candidates, figure)


def finalize_resolving_srcset(previous=None):
    """Jinja's `finalize` for JINJA_ENVIRONMENT: `previous` (the site's own, if any), then
    `resolve_srcset` on strings. Takes the same context argument `previous` asks for."""

    def finalize(*args):
        value = previous(*args) if previous is not None else args[-1]
        if isinstance(value, str) and STATIC in value:
            resolved = resolve_srcset(value)
            return value if resolved == value else type(value)(resolved)  # Markup stays Markup
        return value

    if previous is not None and hasattr(previous, "jinja_pass_arg"):
        finalize.jinja_pass_arg = previous.jinja_pass_arg  # pass_context & co.
    finalize.resolves_srcset = True
    return finalize


def install(settings: dict) -> None:
    """Put the finalize into this run's JINJA_ENVIRONMENT (a new dict: the given one may be
    shared with other runs), once."""
    environment = dict(settings.get("JINJA_ENVIRONMENT") or {})
    previous = environment.get("finalize")
    if getattr(previous, "resolves_srcset", False):
        return
    environment["finalize"] = finalize_resolving_srcset(previous)
    settings["JINJA_ENVIRONMENT"] = environment


def resolve_feed(feed) -> None:
    """feed_generated: the entries' HTML, whose `src` Pelican made absolute."""
    for item in feed.items:
        for key in ("content", "description"):
            if isinstance(item.get(key), str):
                item[key] = resolve_srcset(item[key])
