"""A matplotlib figure -> its PNG renditions, made in the kernel once (execkernel/figure_saving.py calls it).

Rasters: the figure is drawn once per scheme on its own Agg canvas at the output dpi
and the RGBA buffer cropped to savefig(bbox_inches="tight")'s box -- the artists'
extents (Figure.get_tightbbox, which savefig asks too) padded by savefig.pad_inches --
instead of savefig's layout pass, second draw and RGBA zlib encoding. The dark rendition
is the figure recoloured and drawn again (layout kept from the first draw), cropped to
the same box. When the extents reach the canvas' edge (a legend anchored outside the
axes, an axis label below a short figure, text past the edge: what lies beyond was never
drawn), or the save needs what a crop cannot give (savefig.transparent, a figure edge,
an animated artist), the figure is saved with savefig itself and decoded: the renditions
always hold every pixel savefig's tight box holds (tests/unit/test_figure_crop.py).
Only public matplotlib calls (execblocks/private_uses.py lists the engine's few private
names).

Renditions: the full size, plus narrower twins for phones (PHONE_WIDTHS, kept only when
clearly narrower and lighter), resampled from the raster with a box filter: at these
ratios (0.5-0.85) it keeps 1-px spines and text as crisp as Lanczos does (compared by
eye at 5x zoom), where bilinear blurs them, and costs 4 ms instead of 14.

Encoding, one deterministic way: a 256-colour palette (no dithering) when that changes
almost no pixel -- plots are flat colours plus anti-aliasing -- else lossless RGB(A). No
metadata, no timestamps: the same pixels always give the same bytes.

This module runs in the kernel; PIL is imported inside the functions that use it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Callable

# Narrower renditions, in pixels: what a phone's text column (about 343 CSS px, at most
# 382 on a 414 px screen) needs at 3x, 2x and 1x pixel density, so a phone downloads no
# more than it shows (a 1x phone took the 720 px file for a 343 px slot). Made only when
# clearly narrower than the full size (at most RENDITION_MAX_SHARE of it).
PHONE_WIDTHS = (1080, 720, 400)
RENDITION_MAX_SHARE = 0.85
# Palette PNG only when no more than 0.5 % of pixels move by more than 12/255 in any
# channel, 0.1 % by more than 24/255, and the mean error stays under 2/255 (a white that
# becomes 254 is invisible; a smeared edge is not). Measured on the BatchNorm figures:
# plots stay under 0.3 % and 0.1 %; a photo or noise image moves ~28 % and stays lossless.
PALETTE_MAX_CHANGED = 0.005
PALETTE_MAX_CHANGED_MUCH = 0.001
PALETTE_MAX_MEAN_ERROR = 2.0
# zlib level for every PNG. Measured on a line plot (1052 px, palette): level 6 takes
# 3.7 ms for 12.6 KB, 9 takes 21 ms for a few per cent less, optimize=True the same as 9.
COMPRESS_LEVEL = 6
# Artists whose extents come within this many pixels of the canvas edge may have been
# clipped there (anti-aliasing spills about a pixel past an artist's extent): such a
# figure is saved by savefig instead of cropped.
EDGE_MARGIN_PX = 2


@dataclass(frozen=True)
class EncodedPNG:
    """One PNG file of a figure and its size in pixels."""

    width: int
    height: int
    data: bytes


@dataclass(frozen=True)
class FigurePNGs:
    """A figure's renditions, each list widest first (full size, then for phones)."""

    light: list[EncodedPNG]
    dark: list[EncodedPNG]  # empty when no dark rendition was asked for


# Recolours a figure in place, returns its undo.
Recolour = Callable[[object], Callable[[], None]]


def figure_pngs(figure, dpi: float, recolour: Recolour | None = None) -> FigurePNGs:
    """Every PNG rendition of `figure` at `dpi`: light, and dark when `recolour` is given
    (it recolours the figure in place and returns a function that puts it back)."""
    light, dark = figure_rasters(figure, dpi, recolour)
    return FigurePNGs(renditions(light), renditions(dark) if dark is not None else [])


# -- rasters -----------------------------------------------------------------------

def figure_rasters(figure, dpi: float, recolour: Recolour | None = None):
    """(light, dark or None) as PIL images of savefig(bbox_inches="tight")'s box:
    RGB when every pixel is opaque, else RGBA."""
    rasters = _cropped_rasters(figure, dpi, recolour) if _croppable(figure) else None
    if rasters is None:
        rasters = _saved_rasters(figure, dpi, recolour)
    return tuple(_flatten(r) if r is not None else None for r in rasters)


def _croppable(figure) -> bool:
    """Whether a crop of the figure's own canvas gives what savefig gives: an Agg canvas at
    one pixel per pixel, no forced transparency (savefig clears every axes' background),
    no figure edge (savefig draws it around the cropped box), savefig's padding a length,
    and no animated artist (savefig draws those, a canvas draw leaves them out)."""
    from matplotlib import rcParams
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import to_rgba

    canvas, patch = figure.canvas, figure.patch
    edge_visible = patch.get_linewidth() > 0 and to_rgba(patch.get_edgecolor())[3] > 0
    return (isinstance(canvas, FigureCanvasAgg) and canvas.device_pixel_ratio == 1
            and not rcParams["savefig.transparent"] and not edge_visible
            and isinstance(rcParams["savefig.pad_inches"], (int, float))
            and not any(artist.get_animated() for axes in figure.axes for artist in axes.get_children()))


def _cropped_rasters(figure, dpi: float, recolour: Recolour | None):
    """Draw on the figure's own Agg canvas and crop it to savefig's tight box; None when
    that box reaches past the canvas (what lies beyond was not drawn: savefig must do it).

    Only public matplotlib calls: what savefig sets around its draw (the output dpi, its
    face and edge colours when the rc names them) is set and put back by hand."""
    canvas = figure.canvas
    restore = _as_savefig_draws(figure, dpi)
    try:
        canvas.draw()  # runs the layout engine, as savefig's first draw does
        box = _tight_box(figure, canvas, dpi)
        if box is None:
            return None
        light = _crop(figure, canvas, box)
        if recolour is None:
            return light, None
        # Layout is done: the dark draw keeps it, as savefig's second draw does.
        engine = figure.get_layout_engine()
        if engine is not None:
            figure.set_layout_engine("none")
        undo = recolour(figure)
        try:
            canvas.draw()
            # The same box: recolouring moves no artist. Past the canvas, the dark background.
            return light, _crop(figure, canvas, box, figure.patch.get_facecolor())
        finally:
            undo()
            if engine is not None:
                figure.set_layout_engine(engine)
    finally:
        restore()


def _as_savefig_draws(figure, dpi: float) -> Callable[[], None]:
    """Set what savefig sets for its draw (the output dpi; savefig.facecolor/edgecolor
    unless "auto"); returns what puts the figure back."""
    from matplotlib import rcParams

    steps = [(figure.set_dpi, figure.get_dpi())]
    figure.set_dpi(dpi)
    for getter, setter, colour in ((figure.get_facecolor, figure.set_facecolor, rcParams["savefig.facecolor"]),
                                   (figure.get_edgecolor, figure.set_edgecolor, rcParams["savefig.edgecolor"])):
        if not (isinstance(colour, str) and colour == "auto"):
            steps.append((setter, getter()))
            setter(colour)

    def restore() -> None:
        for setter, value in reversed(steps):
            setter(value)

    return restore


def _tight_box(figure, canvas, dpi: float):
    """savefig(bbox_inches="tight")'s box in canvas pixels, (left, top, width, height):
    the artists' extents (Figure.get_tightbbox, what savefig asks) padded by
    savefig.pad_inches, its size rounded as savefig's canvas is. None when the extents
    come within EDGE_MARGIN_PX of the canvas' edge: what lies past it was clipped there.
    (The padding may reach past it: that band is background, painted by _crop.)

    savefig draws the figure shifted by the box's fractional origin; the crop starts at
    the nearest whole pixel, so the same drawing sits within a pixel of savefig's."""
    from matplotlib import rcParams

    extents = figure.get_tightbbox(canvas.get_renderer())  # inches, y up
    height = figure.bbox.height  # canvas pixels; Agg flips y with this height
    columns, rows = canvas.get_width_height()
    left, right = extents.x0 * dpi, extents.x1 * dpi
    top, bottom = height - extents.y1 * dpi, height - extents.y0 * dpi
    margin = EDGE_MARGIN_PX
    if left < margin or top < margin or right > columns - margin or bottom > rows - margin:
        return None
    padded = extents.padded(rcParams["savefig.pad_inches"])
    width, box_height = int(padded.width * dpi), int(padded.height * dpi)  # savefig's canvas
    # Agg flips paths with its whole-pixel height: savefig's row 0 is canvas row
    # rows - box_height - y0 (paths are most of a figure; text lands within a pixel).
    return round(padded.x0 * dpi), round(rows - box_height - padded.y0 * dpi), width, box_height


def _crop(figure, canvas, box, background=None):
    """The box out of the canvas' RGBA buffer; beyond the canvas (the padding), the
    figure's background (or `background`, the colour it was drawn with), as savefig
    paints its patch over its whole cropped canvas."""
    from matplotlib.colors import to_rgba
    from PIL import Image

    left, top, width, height = box
    rows, columns = canvas.get_width_height()[::-1]
    inside = (max(left, 0), max(top, 0), min(left + width, columns), min(top + height, rows))
    if inside == (left, top, left + width, top + height) and _opaque(figure):
        # Every pixel is opaque (all is drawn over the opaque figure patch): the box read
        # straight into RGB, one pass over its rows (a copy: the next draw reuses the buffer).
        start = (top * columns + left) * 4
        stop = start + (height - 1) * columns * 4 + width * 4
        return Image.frombytes("RGB", (width, height), memoryview(canvas.buffer_rgba()).cast("B")[start:stop],
                               "raw", ("RGBX", columns * 4, 1))
    buffer = Image.frombuffer("RGBA", (columns, rows), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    part = buffer.crop(inside)  # a copy: the next draw reuses the buffer
    if inside == (left, top, left + width, top + height):
        return part
    colour = figure.patch.get_facecolor() if background is None else background
    background = tuple(int(c * 255 + 0.5) for c in to_rgba(colour))
    image = Image.new("RGBA", (width, height), background)
    image.paste(part, (inside[0] - left, inside[1] - top))
    return image


def _opaque(figure) -> bool:
    """Whether the figure's patch covers the canvas with an opaque colour (Agg draws it
    first, and anything drawn over an opaque pixel leaves it opaque)."""
    from matplotlib.colors import to_rgba

    patch = figure.patch
    return patch.get_visible() and patch.get_fill() and to_rgba(patch.get_facecolor())[3] == 1.0


def _saved_rasters(figure, dpi: float, recolour: Recolour | None):
    """savefig's own tight PNG, decoded: the slow way, for what a crop cannot give."""
    light = _savefig_image(figure, dpi)
    if recolour is None:
        return light, None
    undo = recolour(figure)
    try:
        return light, _savefig_image(figure, dpi)
    finally:
        undo()


def _savefig_image(figure, dpi: float):
    from PIL import Image

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None},
                   pil_kwargs={"compress_level": 0})  # decoded at once: no use compressing it
    image = Image.open(buffer)
    image.load()
    return image


def _flatten(image):
    """RGB when every pixel is opaque (matplotlib's RGBA usually is), else RGBA."""
    if image.mode == "RGBA" and image.getchannel("A").getextrema() == (255, 255):
        return image.convert("RGB")
    return image if image.mode in ("RGB", "RGBA") else image.convert("RGBA")


# -- renditions and encoding -------------------------------------------------------

def renditions(image) -> list[EncodedPNG]:
    """A raster -> [full size, then narrower ones for phones], widest first, each lighter."""
    from PIL import Image

    sizes = [(width, round(image.height * width / image.width)) for width in PHONE_WIDTHS
             if width <= RENDITION_MAX_SHARE * image.width]
    narrower = [image.resize(size, Image.Resampling.BOX) for size in sizes]
    # The palette is looked for on the widest narrower twin first, when there is one: a
    # quarter to a half of the pixels for the octree, and a downscaled plot holds the
    # blends of the full size's colours, so the full size mapped to that palette (a fifth
    # of an octree) passes the loss check on plots. Else, as before, the full size's own
    # attempts, and the narrower twins mapped to its palette. Every rendition is checked.
    phone_quantized = _octree_if_close(narrower[0]) if narrower else None
    full, full_palette = _encoded(image, phone_quantized)
    encoded = [EncodedPNG(image.width, image.height, full)]
    for index, (small, (width, height)) in enumerate(zip(narrower, sizes)):
        if index == 0 and phone_quantized is not None:
            data = _png(phone_quantized)
        else:
            # A full size that had to stay lossless has narrower twins that must too (they
            # only blend more colours): the palette attempts are skipped, not repeated.
            data, _ = _encoded(small, full_palette, lossless=full_palette is None)
        # Narrower but not lighter (it had to stay lossless): no use to a phone.
        if len(data) < len(encoded[-1].data):
            encoded.append(EncodedPNG(width, height, data))
    return encoded


def _octree_if_close(image):
    """`image` in the octree's 256 colours, or None when that loses too much."""
    from PIL import Image

    palette = image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    _exact_background(image, palette)
    return None if visible_loss(image, palette) else palette


def _encoded(image, palette_hint=None, lossless: bool = False):
    """(PNG bytes, the palette image used or None when lossless).

    Tried in turn until one passes the loss check: `palette_hint`'s colours; the octree,
    cheapest (2-13 ms), and enough for line plots; maximum coverage, which passes on
    colour maps and translucent scatters where the octree's bucket means drift (mean
    error > 2/255); median cut, which keeps rare colours (thin coloured lines) best.
    Pillow quantizes RGBA only by octree, and to a given palette only RGB."""
    from PIL import Image

    if lossless:
        return _png(image), None
    rgb = image.mode == "RGB"
    attempts = [lambda: image.quantize(palette=palette_hint, dither=Image.Dither.NONE)] if (
        rgb and palette_hint is not None) else []
    methods = ((Image.Quantize.FASTOCTREE, Image.Quantize.MAXCOVERAGE, Image.Quantize.MEDIANCUT)
               if rgb else (Image.Quantize.FASTOCTREE,))
    attempts += [lambda method=method: image.quantize(256, method=method, dither=Image.Dither.NONE)
                 for method in methods]
    for attempt in attempts:
        palette = attempt()
        _exact_background(image, palette)
        if not visible_loss(image, palette):
            return _png(palette), palette
    return _png(image), None


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=COMPRESS_LEVEL)
    return buffer.getvalue()


def _exact_background(image, palette) -> None:
    """The background keeps its exact colour: a palette entry is its bucket's mean, so
    white among anti-aliased near-whites becomes 254 (alpha too), which a figure on a page
    of the same colour should not show as a box. The top-left pixel is background: the
    crop's padding holds no artist."""
    channels = len(image.mode)
    index = palette.getpixel((0, 0))
    entries = palette.getpalette(image.mode)
    entries[index * channels:(index + 1) * channels] = image.getpixel((0, 0))
    palette.putpalette(entries, image.mode)


def visible_loss(original, palette) -> bool:
    """Whether `palette` moves pixels of `original` more than the PALETTE_* limits allow,
    a pixel's error being its largest per-channel difference. Counted by Pillow in C:
    first from the per-channel histograms of the difference, which bound the counts from
    both sides (a pixel's largest error is at least any channel's and at most their sum)
    and settle most images; the exact per-pixel maximum only when they do not."""
    from PIL import ImageChops

    difference = ImageChops.difference(original, palette.convert(original.mode))
    per_channel = difference.histogram()
    channels = [per_channel[at:at + 256] for at in range(0, len(per_channel), 256)]
    pixels = original.width * original.height
    limits = (PALETTE_MAX_CHANGED * pixels, PALETTE_MAX_CHANGED_MUCH * pixels, PALETTE_MAX_MEAN_ERROR * pixels)
    measures = [_error_measures(histogram) for histogram in channels]
    upper = [sum(values) for values in zip(*measures)]
    lower = [max(values) for values in zip(*measures)]
    if all(value <= limit for value, limit in zip(upper, limits)):
        return False
    if any(value > limit for value, limit in zip(lower, limits)):
        return True
    largest = ImageChops.lighter
    bands = difference.split()
    exact = bands[0]
    for band in bands[1:]:
        exact = largest(exact, band)
    return any(value > limit for value, limit in zip(_error_measures(exact.histogram()), limits))


def _error_measures(histogram: list[int]) -> tuple[int, int, int]:
    """(pixels off by more than 12, by more than 24, total error) from an error histogram."""
    return sum(histogram[13:]), sum(histogram[25:]), sum(i * n for i, n in enumerate(histogram))
