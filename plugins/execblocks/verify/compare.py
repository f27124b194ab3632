"""Compare one rerun with the stored results, item by item, within tolerances.

Pure functions on `Item`s (observe.py makes them from notebooks): a text item (an inline
value, a table cell, a printed line) is split into its numbers and the text around them;
the text must match exactly and each number within the item's tolerance. A figure is
compared by its pixels (a pixel matches a pixel of the same colour one pixel away, so
anti-aliasing that moves by a pixel is not a change) and may be within tolerance without being identical. Nothing here runs a
kernel or writes a file except `diff_image`, which draws what moved.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass

from execblocks.verify.observe import Item
from execblocks.verify.tolerance import Tolerance, Tolerances

# A number as articles print them: 4,000 · -1.9 · +2.3 · 4.5e+08 · .5 · −0.3 (U+2212).
# Not part of a word or of a longer number (block-3 is 3, a3f9 has none, 2.13.0 is 2.13 then text).
NUMBER = re.compile(r"(?<![\w.])[-+\u2212]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?")
HOLE = "\x00"  # where a number was, in the text that must match exactly


def split_numbers(text: str) -> tuple[str, list[float]]:
    """The text with each number replaced by a hole, and the numbers."""
    numbers = []

    def hole(match: re.Match) -> str:
        numbers.append(float(match[0].replace(",", "").replace("\u2212", "-")))
        return HOLE

    return NUMBER.sub(hole, text), numbers


def relative_difference(stored: float, fresh: float) -> float:
    if stored == fresh:
        return 0.0
    scale = max(abs(stored), abs(fresh))
    return abs(stored - fresh) / scale if scale else math.inf


def within(stored: float, fresh: float, tolerance: Tolerance) -> bool:
    if math.isnan(stored) or math.isnan(fresh):
        return math.isnan(stored) and math.isnan(fresh)
    return abs(stored - fresh) <= max(tolerance.abs, tolerance.rel * max(abs(stored), abs(fresh)))


@dataclass(frozen=True)
class Drift:
    """One item of the comparison: how far the rerun moved it, and whether that is too far."""

    item: Item  # the stored item (or the rerun's, when only the rerun has it)
    fresh: str  # the rerun's text (figures: a summary of the pixel difference)
    moved: bool  # anything differs at all
    beyond: bool  # outside tolerance: verify fails
    change: str  # "", "+0.6 %", "text changed", "flipped", "missing in rerun", "only in rerun", "12.1 % px"
    diff_image: bytes | None = None  # figures that moved: what moved, drawn

    @property
    def kind(self) -> str:
        return self.item.kind


def compare_text(stored: Item, fresh: Item, tolerance: Tolerance) -> Drift:
    if stored.text == fresh.text:
        return Drift(stored, fresh.text, False, False, "")
    shape_a, numbers_a = split_numbers(stored.text)
    shape_b, numbers_b = split_numbers(fresh.text)
    if shape_a != shape_b or len(numbers_a) != len(numbers_b):
        # A computed word that changed is the article's conclusion changing: say so.
        return Drift(stored, fresh.text, True, True, "flipped" if stored.kind == "verdict" else "text changed")
    worst = max((relative_difference(a, b) for a, b in zip(numbers_a, numbers_b)), default=0.0)
    inside = all(within(a, b, tolerance) for a, b in zip(numbers_a, numbers_b))
    signed = _signed_change(numbers_a, numbers_b)
    return Drift(stored, fresh.text, True, not inside, signed if math.isfinite(worst) else "from 0")


def _signed_change(stored: list[float], fresh: list[float]) -> str:
    """The largest relative move among the numbers, signed, as a percentage."""
    pairs = [(a, b) for a, b in zip(stored, fresh) if a != b]
    a, b = max(pairs, key=lambda p: relative_difference(*p))
    if a == 0:
        return f"{b:+g} (from 0)"
    return f"{(b - a) / abs(a) * 100:+.2g} %"


# -- figures -------------------------------------------------------------------------

@dataclass(frozen=True)
class PixelDifference:
    identical: bool
    changed_share: float  # share of pixels with no close match nearby in the other image
    mean: float  # mean absolute difference, 0..1
    resized: str  # "" or "stored 1049x828, rerun 546x434; both drawings compared at 528x412"
    reshaped: bool = False  # the drawings' width:height differ by more than 5 %: another figure


def _rgb(data: bytes):
    """A PNG as float RGB in 0..1, transparent parts over white (as the page shows it)."""
    import numpy as np
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"), dtype=np.float32) / 255.0


def _unmatched(x, y, radius: int, threshold: float):
    """Pixels of x whose colour is, in some channel, outside the range y spans within
    `radius` pixels (widened by `threshold`): an edge anti-aliased a pixel over still
    matches, a line drawn elsewhere does not."""
    import numpy as np
    from PIL import Image, ImageFilter

    image = Image.fromarray((y * 255).round().astype(np.uint8))
    low = np.asarray(image.filter(ImageFilter.MinFilter(2 * radius + 1)), dtype=np.float32) / 255.0
    high = np.asarray(image.filter(ImageFilter.MaxFilter(2 * radius + 1)), dtype=np.float32) / 255.0
    return ((x < low - threshold) | (x > high + threshold)).any(axis=2)


def pixel_difference(stored: bytes, fresh: bytes, pixel_threshold: float) -> tuple[PixelDifference, object]:
    """How much of the figure moved, and the per-pixel difference (for the diff image).
    A rerun at another size (a reader's Jupyter draws at its own dpi) is compared drawing
    to drawing: each cropped to what was drawn, both at the coarser resolution, and a
    pixel may find its match two pixels away instead of one (layouts round differently)."""
    import numpy as np

    a, b = _rgb(stored), _rgb(fresh)
    resized, radius, reshaped = "", 1, False
    if a.shape != b.shape:
        sizes = f"stored {a.shape[1]}x{a.shape[0]}, rerun {b.shape[1]}x{b.shape[0]}"
        a, b = _drawn(a), _drawn(b)
        height, width = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
        ratio = (a.shape[1] / a.shape[0]) / (b.shape[1] / b.shape[0])
        reshaped = not 0.95 < ratio < 1.05
        shape = " (another shape: was the figure size set elsewhere?)" if reshaped else ""
        resized, radius = f"{sizes}{shape}; both drawings compared at {width}x{height}", 2
        a, b = _scaled(a, width, height), _scaled(b, width, height)
    raw = np.abs(a - b).max(axis=2)
    identical = not resized and not raw.any()
    moved = _unmatched(a, b, radius, pixel_threshold) | _unmatched(b, a, radius, pixel_threshold)
    return PixelDifference(identical, float(moved.mean()), float(raw.mean()), resized, reshaped), (a, b, raw)


def _scaled(x, width: int, height: int):
    import numpy as np
    from PIL import Image

    if x.shape[:2] == (height, width):
        return x
    image = Image.fromarray((x * 255).round().astype(np.uint8)).resize((width, height), Image.LANCZOS)
    return np.asarray(image, dtype=np.float32) / 255.0


def _drawn(x):
    """The image cropped to its drawn (non-white) pixels."""
    import numpy as np

    ink = (x < 0.98).any(axis=2)
    if not ink.any():
        return x
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return x[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def diff_image(a, b, raw) -> bytes:
    """The stored figure faded to grey; red where the rerun drew ink the stored one did not
    have, blue where stored ink is gone. Pixels that did not move stay grey."""
    import numpy as np
    from PIL import Image

    grey = 1.0 - 0.3 * (1.0 - a.mean(axis=2))
    out = np.stack([grey, grey, grey], axis=2)
    darker = b.mean(axis=2) < a.mean(axis=2)  # ink added in the rerun
    moved = raw > 2 / 255
    strength = np.clip(raw * 4, 0.35, 1.0)[..., None]
    red, blue = np.array([0.85, 0.1, 0.1]), np.array([0.1, 0.25, 0.9])
    colour = np.where(darker[..., None], red, blue)
    out = np.where(moved[..., None], (1 - strength) * out + strength * colour, out)
    buffer = io.BytesIO()
    Image.fromarray((out * 255).round().astype(np.uint8)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def compare_figure(stored: Item, fresh: Item, tolerance: Tolerance) -> Drift:
    if stored.image == fresh.image:
        return Drift(stored, "identical bytes", False, False, "")
    if stored.image_mime != "image/png" or fresh.image_mime != "image/png":
        # An SVG figure: no rasteriser here, so any change is reported and fails.
        return Drift(stored, f"{fresh.image_mime} differs", True, True, "changed")
    difference, arrays = pixel_difference(stored.image, fresh.image, tolerance.pixel)
    if difference.identical:
        return Drift(stored, "identical pixels", False, False, "")
    summary = f"{difference.changed_share:.2%} of pixels moved (mean {difference.mean:.3f})"
    if difference.resized:
        summary += f"; {difference.resized}"
    # Stretched to one size two drawings of another shape can look alike: the shape is the change.
    beyond = difference.reshaped or difference.changed_share > tolerance.figure
    return Drift(stored, summary, True, beyond, "reshaped" if difference.reshaped else
                 f"{difference.changed_share:.2%} px", diff_image(*arrays))


# -- a whole article ------------------------------------------------------------------

KINDS = ("value", "verdict", "cell", "line", "figure")


@dataclass(frozen=True)
class Comparison:
    """Every item of one rerun against the stored results."""

    drifts: tuple[Drift, ...]

    @property
    def passed(self) -> bool:
        return not any(d.beyond for d in self.drifts)

    def count(self, kind: str) -> tuple[int, int, int]:
        """(within tolerance, identical, total) for one kind of item."""
        of_kind = [d for d in self.drifts if d.kind == kind]
        return (sum(not d.beyond for d in of_kind), sum(not d.moved for d in of_kind), len(of_kind))

    @property
    def moved(self) -> list[Drift]:
        return [d for d in self.drifts if d.moved]


def compare(stored: list[Item], fresh: list[Item], tolerances: Tolerances) -> Comparison:
    """Pair items by key (block, kind, position); an item only one side has is a drift."""
    fresh_by_key = {item.key: item for item in fresh}
    stored_keys = {item.key for item in stored}
    drifts = []
    for item in stored:
        other = fresh_by_key.get(item.key)
        tolerance = tolerances.for_item(item)
        if other is None:
            drifts.append(Drift(item, "-", True, True, "missing in rerun"))
        elif item.kind == "figure":
            drifts.append(compare_figure(item, other, tolerance))
        else:
            drifts.append(compare_text(item, other, tolerance))
    for item in fresh:
        if item.key not in stored_keys:
            drifts.append(Drift(item, item.text if item.kind != "figure" else "a figure", True, True,
                                "only in rerun"))
    return Comparison(tuple(drifts))
