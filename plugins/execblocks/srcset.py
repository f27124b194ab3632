"""`{static}` links inside `srcset`, resolved as Pelican resolves `src`.

Result files are linked as `{static}/results/<id>/<file>` (output.py registers them as
static content), and Pelican rewrites such links in href/src for every page -- relative
on pages, absolute in feeds -- but not inside `srcset`, which holds several URLs
(getpelican/pelican#2981). A figure's renditions live in `srcset` (render.py
`_picture`), so each content object's link rewriting is extended to them: every
candidate URL goes through Pelican's own rewriting, as the `src` of an `<img>` would.
"""

from __future__ import annotations

import re

SRCSET = re.compile(r'(\ssrcset=")([^"]*\{static\}[^"]*)(")')
IMG_SRC = re.compile(r'<img src="([^"]*)">')  # Pelican keeps the tag as written, only the URL changes


def resolve_srcset_links(instance) -> None:
    """content_object_init: make `instance` rewrite `{static}` in srcset too."""
    content = getattr(instance, "_content", None)
    if not content or "srcset=" not in content or "{static}" not in content:
        return
    rewrite = instance._update_content  # Pelican's own, bound to this page

    def rewrite_with_srcset(text: str, siteurl: str) -> str:
        if not text:
            return rewrite(text, siteurl)
        # Every candidate URL of every srcset, rewritten in one call of Pelican's rewriting
        # (as the src of an <img>), then put back in place.
        urls = sorted({candidate.strip().partition(" ")[0] for match in SRCSET.finditer(text)
                       for candidate in match[2].split(",")})
        tags = rewrite("".join(f'<img src="{url}">' for url in urls), siteurl)
        images = [found[1] for found in IMG_SRC.finditer(tags)]
        if len(images) != len(urls):  # not the tags it was given: one URL at a time, as a fallback
            images = [_only_src(rewrite(f'<img src="{url}">', siteurl), url) for url in urls]
        resolved = dict(zip(urls, images))

        def candidates(match: re.Match) -> str:
            parts = []
            for candidate in match[2].split(","):
                url, _, descriptor = candidate.strip().partition(" ")
                parts.append(f"{resolved.get(url, url)} {descriptor}".strip())
            return match[1] + ", ".join(parts) + match[3]

        return rewrite(SRCSET.sub(candidates, text), siteurl)

    instance._update_content = rewrite_with_srcset


def _only_src(tag: str, fallback: str) -> str:
    found = IMG_SRC.fullmatch(tag)
    return found[1] if found else fallback
