"""The figure crop never cuts what savefig(bbox_inches="tight") keeps.

A corpus of figure shapes, each made into its light and dark rasters by the kernel's
figure code and compared with matplotlib's own savefig(dpi=192, bbox_inches="tight") of
the same figure (recoloured, for the dark one): every pixel savefig shows must be in the
rendition. savefig places the figure at a fractional pixel offset inside its box, so
the comparison allows the rendition up to 2 px more per side and a 1-px shift of each
stroke; a label cut off (the case that was found: "Three random walks", 11 x 2.5 in,
lost its x-axis label) leaves hundreds of savefig's ink pixels with nothing near them.
"""

import io

import matplotlib
import numpy as np
import pytest
from PIL import Image

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from execkernel import figure_saving as runtime, renditions as figure_png  # noqa: E402
from execkernel.policy import FIGURE_DPI  # noqa: E402
from support import blog_style_figure  # noqa: E402

DPI = FIGURE_DPI
STYLE = "code/blog.mplstyle"
# savefig's ink: a channel more than this away from the background, the core of a stroke
# or glyph (not the faint anti-aliasing that a sub-pixel shift moves around).
INK = 64
# What counts as a mark in the rendition, near each of savefig's ink pixels: a 1-px stroke
# shifted by half a pixel is two half-dark rows, each still this far from the background.
MARK = 24


def random_walks():
    """The writing page's block, in matplotlib's default style (no layout engine): the
    x-axis label lies wholly below the 2.5 in canvas."""
    figure, axes = plt.subplots(figsize=(11, 2.5))
    axes.plot(np.random.default_rng(0).normal(size=(500, 3)).cumsum(axis=0))
    axes.set_xlabel("step")
    return figure


def random_walks_blog_style():
    with plt.style.context(STYLE):
        return random_walks()


def tall():
    figure, axes = plt.subplots(3, 1, figsize=(3, 9))
    for row, ax in enumerate(axes):
        ax.plot(np.arange(10) ** (row + 1))
        ax.set_ylabel(f"power {row + 1}")
    axes[-1].set_xlabel("n")
    return figure


def legend_outside():
    figure, axes = plt.subplots(figsize=(5, 3))
    axes.plot([1, 2], label="a long legend label")
    axes.plot([2, 1], label="another one")
    axes.legend(bbox_to_anchor=(1.02, 1), loc="upper left")
    return figure


def legend_below():
    figure, axes = plt.subplots(figsize=(5, 3))
    axes.plot([1, 2], label="rising")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncols=2)
    return figure


def suptitle():
    figure, axes = plt.subplots(2, 2, figsize=(6, 4))
    figure.suptitle("Four panels, one title", fontsize=16)
    axes[0, 0].plot([1, 3, 2])
    return figure


def suptitle_above_the_canvas():
    figure, axes = plt.subplots(figsize=(6, 3))
    figure.suptitle("A title placed above the figure", y=1.08)
    axes.plot([1, 3, 2])
    return figure


def colorbar():
    figure, axes = plt.subplots(figsize=(5, 4))
    image = axes.imshow(np.random.default_rng(0).random((10, 10)))
    figure.colorbar(image, label="value")
    return figure


def colorbar_constrained():
    figure, axes = plt.subplots(figsize=(5, 4), layout="constrained")
    image = axes.imshow(np.arange(100).reshape(10, 10))
    figure.colorbar(image, label="value")
    axes.set_title("Constrained")
    return figure


def rotated_tick_labels():
    figure, axes = plt.subplots(figsize=(5, 3))
    names = [f"category number {i}" for i in range(6)]
    axes.bar(names, range(6))
    axes.tick_params(axis="x", labelrotation=90)
    return figure


def text_beyond_the_canvas():
    figure, axes = plt.subplots(figsize=(5, 3))
    axes.plot([0, 1])
    axes.text(1.15, 0.5, "right of the canvas", transform=axes.transAxes)
    figure.text(-0.1, 0.02, "left of it", fontsize=12)
    return figure


def annotation_past_the_edge():
    figure, axes = plt.subplots(figsize=(5, 3))
    axes.plot([0, 1])
    axes.annotate("a note", xy=(1, 1), xytext=(1.2, 1.3), arrowprops={"arrowstyle": "->"},
                  bbox={"facecolor": "white", "edgecolor": "black"})
    return figure


def blog_style_pair():
    return blog_style_figure((8, 4))


def image_without_axes():
    """An image's white margin is invisible on the light figure, drawn on the dark one."""
    figure, axes = plt.subplots(figsize=(4, 4))
    data = np.ones((40, 40))
    data[15:25, 15:25] = 0
    axes.imshow(data, cmap="gray", vmin=0, vmax=1)
    axes.set_axis_off()
    return figure


SHAPES = [random_walks, random_walks_blog_style, tall, legend_outside, legend_below, suptitle,
          suptitle_above_the_canvas, colorbar, colorbar_constrained, rotated_tick_labels,
          text_beyond_the_canvas, annotation_past_the_edge, blog_style_pair, image_without_axes]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def savefig_tight(figure) -> Image.Image:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def ink(image: Image.Image, threshold: int = INK) -> np.ndarray:
    """Where something is drawn: pixels far from the background (the top-left pixel,
    which is padding)."""
    array = np.asarray(image.convert("RGB"), dtype=np.int16)
    return np.abs(array - array[0, 0]).max(axis=2) > threshold


def grown(mask: np.ndarray, by: int = 1) -> np.ndarray:
    """`mask` with every set pixel spread `by` pixels each way."""
    padded = np.pad(mask, by)
    rows, columns = mask.shape
    out = np.zeros_like(mask)
    for dy in range(2 * by + 1):
        for dx in range(2 * by + 1):
            out |= padded[dy:dy + rows, dx:dx + columns]
    return out


def missing_ink(rendition: Image.Image, reference: Image.Image) -> int:
    """How many of `reference`'s ink pixels have no ink of `rendition` within a pixel,
    at the best placement of `reference` inside `rendition` (which may be up to 2 px
    wider and taller: it rounds savefig's fractional box outwards)."""
    theirs, ours = ink(reference), grown(ink(rendition, MARK))
    best = theirs.sum()
    for top in range(ours.shape[0] - theirs.shape[0] + 1):
        for left in range(ours.shape[1] - theirs.shape[1] + 1):
            window = ours[top:top + theirs.shape[0], left:left + theirs.shape[1]]
            best = min(best, int((theirs & ~window).sum()))
    return best


def assert_holds(rendition: Image.Image, reference: Image.Image, what: str) -> None:
    assert 0 <= rendition.width - reference.width <= 2 and 0 <= rendition.height - reference.height <= 2, (
        f"{what}: {rendition.size} against savefig's {reference.size}")
    assert ink(reference).sum() > 100  # the comparison has something to compare
    assert missing_ink(rendition, reference) == 0, what
    # The same picture, not only its ink: placed within a pixel, few pixels differ much.
    ours = np.asarray(rendition.convert("RGB"), dtype=np.int16)[:reference.height, :reference.width]
    error = np.abs(ours - np.asarray(reference, dtype=np.int16)).max(axis=2)
    assert (error > 40).mean() < 0.02, what


# The shapes whose artists stay inside the canvas are cropped from the figure's own draw;
# the others (something drawn past the canvas' edge) are saved by savefig itself.
CROPPED = {random_walks_blog_style, suptitle, colorbar, colorbar_constrained, blog_style_pair, image_without_axes}


@pytest.mark.parametrize("make", SHAPES, ids=lambda make: make.__name__)
def test_the_renditions_hold_every_pixel_of_savefigs_tight_box(make):
    figure = make()
    cropped = figure_png._cropped_rasters(figure, DPI, None) is not None
    assert cropped == (make in CROPPED)  # both ways are tested
    light, dark = figure_png.figure_rasters(figure, DPI, runtime._dark_recolouring)
    assert_holds(light, savefig_tight(figure), f"{make.__name__}, light")
    restore = runtime._dark_recolouring(figure)
    try:
        dark_reference = savefig_tight(figure)
    finally:
        restore()
    assert_holds(dark, dark_reference, f"{make.__name__}, dark")
    assert dark.size == light.size  # one <picture>: both renditions have one size


def test_the_writing_pages_wide_figure_keeps_its_x_axis_label():
    """The case that was found, by size: savefig gives 1750 x 490 at 192 dpi."""
    figure = random_walks()
    light, _ = figure_png.figure_rasters(figure, DPI)
    reference = savefig_tight(figure)
    assert reference.size == (1750, 490)
    assert light.width - reference.width in (0, 1, 2) and light.height - reference.height in (0, 1, 2)
    # The label "step" is all the ink in the last 45 rows (the tick labels end above them,
    # spread over the whole width): a short word, centred.
    label = ink(light)[-45:]
    columns = np.flatnonzero(label.any(axis=0))
    assert label.sum() > 100 and columns[-1] - columns[0] < 120
    assert abs((columns[0] + columns[-1]) / 2 - light.width / 2) < 60


def test_missing_ink_sees_a_cut_label():
    """The measure itself: a rendition that lost the bottom 40 px (the x-axis label) fails."""
    reference = savefig_tight(random_walks())
    cut = Image.new("RGB", reference.size, reference.getpixel((0, 0)))
    cut.paste(reference.crop((0, 0, reference.width, reference.height - 40)), (0, 0))
    assert missing_ink(reference, reference) == 0
    assert missing_ink(cut, reference) > 50
