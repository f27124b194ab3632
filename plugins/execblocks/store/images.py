"""Images a block produced -> the files the store keeps and the page serves.

A matplotlib figure arrives from the kernel with every rendition already made there
(execkernel/figure_saving.py, execkernel/renditions.py): light and dark, full size and narrower for phones, each
PNG already as light as it can be without visible loss. Here they are only decoded,
named by content hash and listed, so the build process needs no image library.

Every SVG (matplotlib's, or any `_repr_svg_`) is sanitised as a file, since a reader
can open it directly: no scripts, event handlers, foreign HTML, or links other than
to its own fragments and embedded raster images.

Other images (`_repr_png_` of a block's own objects) are data and are stored as given.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass

IMAGE_TYPES = {"image/png": ".png", "image/svg+xml": ".svg"}


@dataclass(frozen=True)
class Rendition:
    """One file of a figure: `width` in pixels (PNG) or None (SVG)."""

    data: bytes
    suffix: str
    width: int | None = None


# -- SVG ---------------------------------------------------------------------------

SVG_NS, XLINK_NS = "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"
# Matplotlib's prefixes, so a sanitised file reads like the original.
for _prefix, _uri in (("", SVG_NS), ("xlink", XLINK_NS), ("dc", "http://purl.org/dc/elements/1.1/"),
                      ("cc", "http://creativecommons.org/ns#"),
                      ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#")):
    etree.register_namespace(_prefix, _uri)
# Elements that run code, embed other documents, or rewrite attributes (animations can set
# href to a javascript: URL): removed with their content.
DROPPED_ELEMENTS = {"script", "foreignobject", "iframe", "embed", "object", "handler", "listener",
                    "set", "animate", "animatetransform", "animatemotion", "animatecolor"}
SAFE_HREF = re.compile(r"#[\w.:-]*|data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*", re.ASCII)
URL_IN_CSS = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
UNSAFE_CSS = re.compile(r"@import|expression\s*\(|javascript:|behavior\s*:|-moz-binding", re.IGNORECASE)


class UnsafeSVG(ValueError):
    """An SVG that cannot be parsed safely (malformed, or declaring entities)."""


def sanitize_svg(text: str) -> str:
    """The SVG without anything that can run or fetch: what a browser opening the file
    directly may execute (<script>, on*= handlers, javascript: URLs in href or
    xlink:href, foreign HTML, animations of href, CSS that imports or scripts)."""
    if re.search(r"<!ENTITY", text, re.IGNORECASE):
        raise UnsafeSVG("it declares XML entities")
    # The DOCTYPE (matplotlib's points at the SVG 1.1 DTD) is dropped: nothing reads it.
    text = re.sub(r"<!DOCTYPE[^>]*>", "", text, count=1, flags=re.IGNORECASE)
    try:
        root = etree.fromstring(text)
    except etree.ParseError as error:
        raise UnsafeSVG(f"it is not well-formed XML ({error})") from None
    if _local(root.tag) != "svg":
        raise UnsafeSVG(f"its root element is <{_local(root.tag)}>, not <svg>")
    _clean(root)
    return etree.tostring(root, encoding="unicode") + "\n"


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _clean(element) -> None:
    for child in list(element):
        if not isinstance(child.tag, str) or _local(child.tag) in DROPPED_ELEMENTS:
            element.remove(child)
        else:
            _clean(child)
    for name, value in list(element.attrib.items()):
        local = _local(name)
        if local.startswith("on"):
            del element.attrib[name]
        elif local == "href" and not SAFE_HREF.fullmatch(value.strip()):
            del element.attrib[name]
        elif local in ("style", "fill", "stroke", "filter", "mask", "clip-path", "marker-start",
                       "marker-mid", "marker-end", "cursor") or "url(" in value.lower():
            cleaned = _clean_css(value)
            if cleaned is None:
                del element.attrib[name]
            else:
                element.attrib[name] = cleaned
    if _local(element.tag) == "style" and element.text:
        element.text = _clean_css(element.text) or ""


def _clean_css(css: str) -> str | None:
    """CSS (a style attribute or element) with only same-document url() references."""
    if UNSAFE_CSS.search(css):
        return None

    def keep_local(match: re.Match) -> str:
        return match[0] if match[2].strip().startswith("#") else "none"

    return URL_IN_CSS.sub(keep_local, css)


# -- one output --------------------------------------------------------------------

@dataclass(frozen=True)
class StoredImage:
    """A file to write into the store, named by its content."""

    name: str
    data: bytes


def externalise(output: dict, name_for, max_pixels: int | None = None) -> list[StoredImage]:
    """Move an output's images into files, in place: `data[mime]` and the metadata's
    `execblocks.files[mime]` become the file name; an engine figure also gets
    `execblocks.renditions` ({"light": [{"file", "width"}...], "dark": [...]}, widest
    first). `name_for(bytes, suffix)` names a file. A block's own PNG larger than
    `max_pixels` (the figures' cap) becomes a notice. Returns the files to write."""
    data = output.get("data", {})
    if not any(mime in data for mime in IMAGE_TYPES):
        return []
    meta = output.setdefault("metadata", {}).setdefault("execblocks", {})
    dark = meta.pop("dark", {})
    narrower = meta.pop("narrower", {})  # a PNG figure's phone renditions (runtime._render_png)
    files: list[StoredImage] = []
    for mime, suffix in IMAGE_TYPES.items():
        if mime not in data:
            continue
        if mime == "image/png" and max_pixels and not meta.get("figure"):
            width, height = png_size(base64.b64decode(data[mime][:64]))
            if width * height > max_pixels:
                del data[mime]
                data["text/plain"] = (f"[image not shown: {width} x {height} = {width * height:,} pixels, over "
                                      f"EXECBLOCKS_MAX_FIGURE_PIXELS = {max_pixels:,}]")
                continue
        try:
            light = _renditions(mime, data[mime], narrower.get("light", []))
            dark_renditions = _renditions(mime, dark[mime], narrower.get("dark", [])) if mime in dark else []
        except UnsafeSVG as error:
            del data[mime]
            data["text/plain"] = f"[SVG image not shown: {error}]"
            continue
        roles = {"light": light, "dark": dark_renditions} if dark_renditions else {"light": light}
        listing = {}
        for role, renditions in roles.items():
            listing[role] = []
            for rendition in renditions:
                name = name_for(rendition.data, rendition.suffix)
                files.append(StoredImage(name, rendition.data))
                listing[role].append({"file": name, **({"width": rendition.width} if rendition.width else {})})
        data[mime] = listing["light"][0]["file"]
        meta.setdefault("files", {})[mime] = data[mime]
        if meta.get("figure"):
            meta["renditions"] = listing
    if not meta:
        output["metadata"].pop("execblocks")
    return files


def png_size(head: bytes) -> tuple[int, int]:
    """Width and height from a PNG's first bytes (its IHDR chunk, bytes 16..24)."""
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def _renditions(mime: str, value, narrower: list[dict]) -> list[Rendition]:
    """An image's files, widest first: a PNG as given (a figure's already encoded in the
    kernel) then its `narrower` ones ({"width", "png": base64}); an SVG sanitised."""
    if mime == "image/svg+xml":
        text = value if isinstance(value, str) else "".join(value)
        return [Rendition(sanitize_svg(text).encode("utf-8"), ".svg")]
    raw = base64.b64decode(value)
    full = Rendition(raw, ".png", png_size(raw)[0])
    return [full, *(Rendition(base64.b64decode(item["png"]), ".png", int(item["width"])) for item in narrower)]
