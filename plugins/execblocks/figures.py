"""Images a block produced -> the files the store keeps and the page serves.

A matplotlib figure arrives from the kernel (runtime.py) saved twice, light and dark.
Each PNG rendition is made lighter here, without visible loss, and gets narrower twins
for phones (the page's `srcset` picks one):

- a palette PNG (256 colours, no dithering) when that changes almost no pixel -- plots
  are flat colours plus anti-aliasing; otherwise (photos, smooth colour maps) a
  lossless RGB PNG;
- the narrower twins (PHONE_WIDTHS), resampled with Lanczos, then the same;
- no metadata, no timestamps: the same pixels always give the same bytes, and every
  file is named by its content hash.

Every SVG (matplotlib's, or any `_repr_svg_`) is sanitised as a file, since a reader
can open it directly: no scripts, event handlers, foreign HTML, or links other than
to its own fragments and embedded raster images.

Other images (`_repr_png_` of a block's own objects) are data and are stored as given.
"""

from __future__ import annotations

import base64
import io
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass

IMAGE_TYPES = {"image/png": ".png", "image/svg+xml": ".svg"}
# Narrower renditions, in pixels: what a phone's text column (about 343 CSS px) needs at
# 3x and 2x pixel density, so a phone downloads no more than it shows. Made only when
# clearly narrower than the full size (at most RENDITION_MAX_SHARE of it).
PHONE_WIDTHS = (1080, 720)
RENDITION_MAX_SHARE = 0.85
# Palette PNG only when no more than 0.5 % of pixels move by more than 12/255 in any
# channel, 0.1 % by more than 24/255, and the mean error stays under 2/255 (a white that
# becomes 254 is invisible; a smeared edge is not). Measured on the BatchNorm figures:
# plots stay under 0.3 % and 0.1 %; a photo or noise image moves ~28 % and stays lossless.
PALETTE_MAX_CHANGED = 0.005
PALETTE_MAX_CHANGED_MUCH = 0.001
PALETTE_MAX_MEAN_ERROR = 2.0


@dataclass(frozen=True)
class Rendition:
    """One file of a figure: `width` in pixels (PNG) or None (SVG)."""

    data: bytes
    suffix: str
    width: int | None = None


# -- PNG ---------------------------------------------------------------------------

def png_renditions(data: bytes) -> list[Rendition]:
    """A figure's PNG -> [full size, then narrower ones for phones], widest first, lighter."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as source:
        image = _flatten(source)
    renditions = [Rendition(optimise(image), ".png", image.width)]
    for width in PHONE_WIDTHS:
        if width <= RENDITION_MAX_SHARE * image.width:
            height = round(image.height * width / image.width)
            smaller = optimise(image.resize((width, height), Image.Resampling.LANCZOS))
            # Narrower but not lighter (it had to stay lossless): no use to a phone.
            if len(smaller) < len(renditions[-1].data):
                renditions.append(Rendition(smaller, ".png", width))
    return renditions


def _flatten(image):
    """RGB when every pixel is opaque (matplotlib's RGBA usually is), else RGBA."""
    image.load()
    if image.mode == "RGBA" and image.getchannel("A").getextrema() == (255, 255):
        return image.convert("RGB")
    return image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")


def optimise(image) -> bytes:
    """The smallest faithful PNG of `image`: palette when invisible, else lossless.

    Median cut keeps rare colours (thin coloured lines) best; a downscaled figure has
    more blended edge colours than it can place, and there the octree or maximum
    coverage usually passes."""
    from PIL import Image

    candidate = image
    methods = ((Image.Quantize.MEDIANCUT, Image.Quantize.FASTOCTREE, Image.Quantize.MAXCOVERAGE)
               if image.mode == "RGB" else (Image.Quantize.FASTOCTREE,))  # only octree takes alpha
    for method in methods:
        palette = image.quantize(256, method=method, dither=Image.Dither.NONE)
        if not _visible_loss(image, palette):
            candidate = palette
            break
    buffer = io.BytesIO()
    candidate.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _visible_loss(original, palette) -> bool:
    import numpy as np

    before = np.asarray(original, dtype=np.int16)
    after = np.asarray(palette.convert(original.mode), dtype=np.int16)
    error = np.abs(after - before).max(axis=2)
    return (float((error > 12).mean()) > PALETTE_MAX_CHANGED
            or float((error > 24).mean()) > PALETTE_MAX_CHANGED_MUCH
            or float(error.mean()) > PALETTE_MAX_MEAN_ERROR)


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
            light = _renditions(mime, data[mime], figure=bool(meta.get("figure")))
            dark_renditions = _renditions(mime, dark[mime], figure=True) if mime in dark else []
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


def _renditions(mime: str, value, figure: bool) -> list[Rendition]:
    if mime == "image/svg+xml":
        text = value if isinstance(value, str) else "".join(value)
        return [Rendition(sanitize_svg(text).encode("utf-8"), ".svg")]
    raw = base64.b64decode(value)
    return png_renditions(raw) if figure else [Rendition(raw, ".png")]
