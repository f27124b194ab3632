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
IMG_SRC = re.compile(r'<img src="([^"]*)">')


def resolve_srcset_links(instance) -> None:
    """content_object_init: make `instance` rewrite `{static}` in srcset too."""
    content = getattr(instance, "_content", None)
    if not content or "srcset=" not in content or "{static}" not in content:
        return
    rewrite = instance._update_content  # Pelican's own, bound to this page

    def rewrite_with_srcset(text: str, siteurl: str) -> str:
        def candidates(match: re.Match) -> str:
            resolved = []
            for candidate in match[2].split(","):
                url, _, descriptor = candidate.strip().partition(" ")
                done = IMG_SRC.fullmatch(rewrite(f'<img src="{url}">', siteurl))
                resolved.append(f"{done[1] if done else url} {descriptor}".strip())
            return match[1] + ", ".join(resolved) + match[3]

        return rewrite(SRCSET.sub(candidates, text) if text else text, siteurl)

    instance._update_content = rewrite_with_srcset
