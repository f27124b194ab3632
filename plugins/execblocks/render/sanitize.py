"""HTML from a block (a DataFrame's `_repr_html_`, `display(HTML(...))`, Markdown output,
`output: asis` text) -> HTML that runs nothing and makes the reader's browser contact no
host but the site's, whatever the block printed.

nh3 (ammonia) removes scripts, handlers and unknown tags, but keeps a `style` attribute
as written and any `<img src>`; both can load from anywhere (`background:url(//x)`,
`<img src="https://tracker/...">`). So, with nh3's own options:

- `filter_style_properties`: only presentational properties that take no URL survive
  (no `background`, `background-image`, `list-style`, `border-image`, `content`, `cursor`,
  `mask`, `filter`, ...);
- `attribute_filter`: a `style` that names a URL-taking function (`url(`, `image-set(`,
  ...), an `@import`, or has a CSS escape (`\\75 rl(` spells `url(`) is dropped whole;
  an `<img src>` is kept only when it is relative to the site (no scheme, not `//host`,
  no backslash, which browsers read as `/`) or a `data:image/...` URL.

Links (`<a href>`) to other hosts stay: the browser contacts them only when the reader
follows one (nh3 adds `rel="noopener noreferrer"`).
"""

from __future__ import annotations

import re

import nh3

# Attributes a sanitised output may keep: presentation only, no handlers, no ids (an id
# from an output could collide with the page's own anchors).
SAFE_ATTRIBUTES = {"*": {"class", "title", "style", "colspan", "rowspan", "align"},
                   "a": {"href"}, "img": {"src", "alt", "width", "height"}}
# CSS properties a table or a coloured span needs; none of them takes a URL.
STYLE_PROPERTIES = {
    "color", "background-color", "opacity",
    "font", "font-family", "font-size", "font-style", "font-variant", "font-weight", "line-height",
    "letter-spacing", "word-spacing", "text-align", "text-decoration", "text-decoration-color",
    "text-decoration-line", "text-decoration-style", "text-indent", "text-transform", "text-overflow",
    "vertical-align", "white-space", "word-break", "overflow-wrap", "direction", "unicode-bidi",
    "border", "border-collapse", "border-spacing", "border-color", "border-style", "border-width",
    "border-radius", *(f"border-{side}{part}" for side in ("top", "right", "bottom", "left")
                       for part in ("", "-color", "-style", "-width")),
    "padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
    "margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
    "width", "min-width", "max-width", "height", "min-height", "max-height",
    "display", "visibility", "overflow", "overflow-x", "overflow-y", "caption-side", "empty-cells",
    "table-layout", "box-sizing",
}
# Anything in a style value that can fetch, or hide what it spells (a CSS escape).
STYLE_FETCHES = re.compile(r"\\|url\s*\(|image|@import|expression|binding|src\s*\(|element\s*\(", re.I)
# What browsers strip from a URL attribute before reading it.
URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
URL_SCHEMES = nh3.ALLOWED_URL_SCHEMES | {"data"}  # `_keep` lets data: through on <img src> only
DATA_IMAGE = re.compile(r"^data:image/(?:png|gif|jpeg|webp|svg\+xml|avif)[;,]", re.I)


def _keep(tag: str, attribute: str, value: str) -> str | None:
    """nh3's attribute_filter: the value to keep, or None to drop the attribute."""
    if attribute == "style":
        return None if STYLE_FETCHES.search(value) else value
    if tag == "img" and attribute == "src":
        return value if same_site_image(value) else None
    if URL_NOISE.sub("", value).lower().startswith("data:"):  # data: is allowed for <img> alone
        return None
    return value


def same_site_image(url: str) -> bool:
    """A URL an `<img>` may load: the site's own files (relative) or inline data."""
    bare = URL_NOISE.sub("", url)
    if DATA_IMAGE.match(bare):
        return True
    return bool(bare) and "\\" not in bare and not bare.startswith("//") and not SCHEME.match(bare)


def sanitize_html(markup: str) -> str:
    """Rich HTML from a block keeps its table and colours, loses scripts, handlers and
    everything that would load from another host."""
    return nh3.clean(markup, tags=nh3.ALLOWED_TAGS, attributes=SAFE_ATTRIBUTES, attribute_filter=_keep,
                     filter_style_properties=STYLE_PROPERTIES, url_schemes=URL_SCHEMES)


def sanitize_inline(markup: str, tags: set[str], attributes: dict[str, set[str]] | None = None) -> str:
    """The same rules for a few inline tags (citeproc's formatted references)."""
    return nh3.clean(markup, tags=tags, attributes=attributes or {}, attribute_filter=_keep,
                     filter_style_properties=STYLE_PROPERTIES)
