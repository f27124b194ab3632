"""Links written as a notebook or Quarto author writes them, made Pelican's.

An article that sits beside its images (`![Surus](surus.png)`) or links another article by
its file (`[see](other.ipynb#anchor)`, `other.qmd`) works in Jupyter and Quarto as is.
Pelican needs `{attach}` / `{filename}` for that: `{attach}surus.png` copies the image next
to the page (Pelican resolves it from the article's own folder, and warns with the file
when it is missing); `{filename}other.ipynb` becomes the other article's URL. Absolute
URLs, site-absolute paths, fragments and links already in Pelican's syntax are left alone.
"""

from __future__ import annotations

import re

from markdown.treeprocessors import Treeprocessor

ARTICLE_SUFFIXES = (".md", ".qmd", ".ipynb", ".markdown", ".rst")
# scheme:, //host, /path, #fragment, {static}/{filename}/..., or empty: not ours
NOT_RELATIVE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//|/|#|\{|\||$)")


def pelican_link(url: str, attribute: str) -> str | None:
    """The Pelican form of a relative link, or None to leave it as written."""
    if NOT_RELATIVE.match(url):
        return None
    path = url.split("#", 1)[0].split("?", 1)[0]
    if attribute == "href" and path.lower().endswith(ARTICLE_SUFFIXES):
        return "{filename}" + url
    if attribute == "src":
        return "{attach}" + url
    return None


class RelativeLinks(Treeprocessor):
    def run(self, root):
        for element in root.iter():
            for attribute in ("src", "href") if element.tag in ("img", "a") else ():
                value = element.get(attribute)
                new = pelican_link(value, attribute) if value else None
                if new:
                    element.set(attribute, new)


def register(md) -> None:
    # After inline patterns (20) made the links and attr_list (8); before toc (5).
    md.treeprocessors.register(RelativeLinks(md), "relative_links", 6)
