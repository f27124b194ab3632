"""The dark raster by replay (execkernel/figure_replay.py): for each kind of figure, the replayed dark
raster is the redraw's pixel for pixel, or the replay declines and the redraw runs."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patheffects import withStroke  # noqa: E402

from execkernel import figure_replay, hooks as runtime, renditions as figure_png  # noqa: E402
from execkernel.policy import FIGURE_DPI  # noqa: E402

DPI = FIGURE_DPI


@pytest.fixture(autouse=True)
def _restore_rc_and_close():
    with matplotlib.rc_context():
        yield
    plt.close("all")


def line():
    figure, axes = plt.subplots()
    axes.plot([1, 3, 2, 4])
    axes.set_title("Line 0")
    return figure


def markers():
    figure, axes = plt.subplots()
    axes.plot([1, 3, 2, 4], "k-o", label="black with markers")
    axes.plot([2, 1, 3, 2], "s--", color="0.5", markerfacecolor="none")
    axes.plot([3, 2, 1, 3], "^", color="C2", alpha=0.5)
    return figure


def scatter():
    figure, axes = plt.subplots()
    rng = np.random.default_rng(0)
    axes.scatter(rng.random(30), rng.random(30), color="0.4")
    axes.scatter(rng.random(30), rng.random(30), s=rng.random(30) * 80, color="C1", edgecolors="k")
    return figure


def scatter_coloured():
    figure, axes = plt.subplots()
    rng = np.random.default_rng(1)
    points = axes.scatter(rng.random(40), rng.random(40), c=rng.random(40), cmap="gray",
                          edgecolors="k", linewidths=0.5)
    figure.colorbar(points, label="value")
    return figure


def bar_hatched():
    figure, axes = plt.subplots()
    axes.bar(["a", "b", "c"], [3, 1, 2], color="0.8", edgecolor="k", hatch="//")
    axes.bar(["d"], [2], color="C0", hatch="xx")
    return figure


def histogram():
    figure, axes = plt.subplots()
    rng = np.random.default_rng(2)
    axes.hist(rng.normal(size=300), bins=20, color="0.6", edgecolor="white")
    axes.hist(rng.normal(1, size=300), bins=20, histtype="step", color="k")
    return figure


def band():
    figure, axes = plt.subplots()
    x = np.linspace(0, 1, 50)
    axes.plot(x, x ** 2, color="C0")
    axes.fill_between(x, x ** 2 - 0.1, x ** 2 + 0.1, color="C0", alpha=0.3, linewidth=0)
    axes.fill_between(x, 0, x / 3, color="0.7")
    return figure


def error_bars():
    figure, axes = plt.subplots()
    axes.errorbar([1, 2, 3], [2, 3, 1], yerr=[0.2, 0.4, 0.3], fmt="o", color="k", capsize=3)
    axes.errorbar([1, 2, 3], [1, 2, 2], xerr=0.1, yerr=0.2, color="C3", capsize=2)
    return figure


def legend_framed():
    figure, axes = plt.subplots()
    axes.plot([1, 2], label="rising")
    axes.plot([2, 1], "k:", label="falling")
    axes.legend(frameon=True, title="direction")
    return figure


def legend_outside():
    figure, axes = plt.subplots(layout="constrained")
    axes.plot([1, 2], label="a long legend label")
    axes.plot([2, 1], label="another")
    figure.legend(loc="outside right upper")
    return figure


def annotated():
    figure, axes = plt.subplots()
    axes.plot([0, 1, 2], [0, 1, 0])
    axes.annotate("peak", xy=(1, 1), xytext=(1.4, 0.6), arrowprops=dict(arrowstyle="->"),
                  bbox=dict(boxstyle="round", facecolor="white", edgecolor="0.3"))
    axes.annotate("plain arrow", xy=(0.5, 0.5), xytext=(0.2, 0.8),
                  arrowprops=dict(facecolor="black", shrink=0.05))
    return figure


def text_boxed():
    figure, axes = plt.subplots()
    axes.plot([1, 2, 3])
    axes.text(1, 2, "a note", bbox=dict(facecolor="0.9", edgecolor="k", alpha=0.8))
    axes.text(0.2, 2.5, "red", color="C3", alpha=0.6)
    return figure


def grid_of_panels():
    figure, axes = plt.subplots(2, 3, sharex=True)
    for k, ax in enumerate(axes.flat):
        ax.plot(np.arange(5) * (k + 1))
        ax.set_title(f"panel {k}")
        ax.grid(True)
    figure.suptitle("Six panels")
    return figure


def twin_axes():
    figure, axes = plt.subplots()
    axes.plot([1, 2, 3], color="C0")
    axes.set_ylabel("left")
    twin = axes.twinx()
    twin.plot([30, 10, 20], color="C1")
    twin.set_ylabel("right")
    return figure


def log_scale():
    figure, axes = plt.subplots()
    x = np.logspace(0, 4, 30)
    axes.loglog(x, x ** 1.5, "k")
    axes.grid(True, which="both", color="0.85")
    return figure


def mathtext():
    figure, axes = plt.subplots()
    axes.plot([1, 2, 3])
    axes.set_xlabel(r"$\sigma^2 / \sqrt{n}$")
    axes.set_ylabel(r"$\frac{\partial L}{\partial w}$")
    axes.set_title(r"$\hat{x} = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}$")
    return figure


def image_with_colorbar():
    figure, axes = plt.subplots()
    image = axes.imshow(np.random.default_rng(3).random((12, 12)))
    figure.colorbar(image, label="value", extend="both")
    return figure


def contours():
    figure, axes = plt.subplots(1, 2)
    z = np.add.outer(np.sin(np.linspace(0, 3, 20)), np.cos(np.linspace(0, 3, 20)))
    filled = axes[0].contourf(z, levels=6)
    figure.colorbar(filled, ax=axes[0])
    axes[1].clabel(axes[1].contour(z, levels=5, colors="k"))
    return figure


def mesh_with_edges():
    figure, axes = plt.subplots()
    mesh = axes.pcolormesh(np.random.default_rng(5).random((5, 6)), cmap="gray", edgecolors="k",
                           linewidth=0.5)
    figure.colorbar(mesh, orientation="horizontal")
    axes.secondary_xaxis("top")
    return figure


def rasterized():
    figure, axes = plt.subplots()  # rasterizing is a no-op on Agg: replayed like any line
    axes.plot([1, 2], rasterized=True)
    return figure


def blog_style():
    from bnlab import plots

    plots.use_style()
    figure, axes = plots.subplots(1, 2)
    x = np.arange(1, 11)
    rng = np.random.default_rng(4)
    plots.band(axes[0, 0], x, rng.random((3, 10)) + x, plots.COLOR["bn"], label="BN")
    plots.seed_markers(axes[0, 1], x, rng.random((3, 10)), plots.COLOR["plain"], label="plain",
                       diverged=rng.random((3, 10)) > 0.8)
    plots.diverged_legend(axes[0, 1])
    axes[0, 0].legend()
    axes[0, 0].set_title("Band")
    axes[0, 1].set_title("Seeds")
    plots.label_panels(axes)
    return figure


CORPUS = [line, markers, scatter, scatter_coloured, bar_hatched, histogram, band, error_bars,
          legend_framed, legend_outside, annotated, text_boxed, grid_of_panels, twin_axes,
          log_scale, mathtext, image_with_colorbar, contours, mesh_with_edges, rasterized, blog_style]
# The replay must not decline on these (every kind above is common).
MUST_REPLAY = CORPUS


def dark_both_ways(make, monkeypatch):
    """(why the replay declined or None, replayed dark raster, redrawn dark raster,
    light raster of each way): each on a freshly made figure, as in the kernel."""
    reasons = []
    replay_dark = figure_replay.replay_dark

    def spied(*args):
        reasons.append("raised")
        replay = replay_dark(*args)
        reasons[-1] = replay.declined
        return replay

    with monkeypatch.context() as patched:
        patched.setattr(figure_replay, "replay_dark", spied)
        figure = make()
        light, replayed = figure_png.figure_rasters(figure, DPI, runtime._dark_recolouring)
        plt.close(figure)
    with monkeypatch.context() as patched:
        patched.setattr(figure_replay, "replay_dark", lambda *args: figure_replay.Replay("forced"))
        figure = make()
        light_again, redrawn = figure_png.figure_rasters(figure, DPI, runtime._dark_recolouring)
        plt.close(figure)
    assert len(reasons) == 1, "the figure was not cropped, so the replay was never tried"
    return reasons[0], replayed, redrawn, (light, light_again)


@pytest.mark.parametrize("make", CORPUS, ids=lambda make: make.__name__)
def test_the_replayed_dark_raster_is_the_redraws_pixel_for_pixel(make, monkeypatch):
    declined, replayed, redrawn, (light, light_again) = dark_both_ways(make, monkeypatch)
    assert np.array_equal(np.asarray(light), np.asarray(light_again))  # recording changes nothing
    assert replayed.size == redrawn.size
    assert np.array_equal(np.asarray(replayed), np.asarray(redrawn)), declined
    assert not np.array_equal(np.asarray(replayed), np.asarray(light))  # it is a dark one
    if make in MUST_REPLAY:
        assert declined is None


def shadowed_legend():
    figure, axes = plt.subplots()
    axes.plot([1, 2], label="a")
    axes.legend(shadow=True)  # the shadow is made during the draw from the frame's colour
    return figure


def stroked_text():
    figure, axes = plt.subplots()
    axes.plot([1, 2])
    axes.text(1, 1.5, "outlined", path_effects=[withStroke(linewidth=3, foreground="w")])
    return figure


def filtered():
    figure, axes = plt.subplots()
    (line,) = axes.plot([1, 2])
    line.set_agg_filter(lambda image, dpi: (image, 0, 0))
    return figure


def half_filled_markers():
    figure, axes = plt.subplots()
    axes.plot([1, 2], "o", fillstyle="left", markerfacecoloralt="0.5", markersize=12)
    return figure


def gouraud():
    figure, axes = plt.subplots()
    axes.pcolormesh(np.arange(4), np.arange(3), np.arange(12).reshape(3, 4), shading="gouraud")
    return figure


def hatched_contours():
    figure, axes = plt.subplots()
    axes.contourf(np.arange(16.0).reshape(4, 4), hatches=["//", None], cmap="gray")
    return figure


class Custom(matplotlib.patches.Rectangle):
    def draw(self, renderer):  # a draw the replay has not read
        super().draw(renderer)


def custom_artist():
    figure, axes = plt.subplots()
    axes.add_patch(Custom((0.2, 0.2), 0.5, 0.5, facecolor="0.5"))
    return figure


@pytest.mark.parametrize("make, reason", [
    (shadowed_legend, "Shadow"), (stroked_text, "path effects"), (filtered, "agg filter"),
    (half_filled_markers, "half-filled"), (gouraud, "gouraud"),
    (custom_artist, "Custom"), (hatched_contours, "hatched"),
], ids=lambda value: getattr(value, "__name__", ""))
def test_what_the_replay_has_not_verified_declines_and_the_redraw_runs(make, reason, monkeypatch):
    declined, replayed, redrawn, _ = dark_both_ways(make, monkeypatch)
    assert declined is not None and reason in declined
    assert np.array_equal(np.asarray(replayed), np.asarray(redrawn))


def test_a_call_whose_colour_the_formulas_do_not_give_declines():
    figure = line()
    figure_png.figure_rasters(figure, DPI)  # laid out
    canvas = figure.canvas
    with figure_replay.recording(canvas) as recorded:
        canvas.draw()
    data_line = figure.axes[0].lines[0]
    first = next(call for call in recorded.calls if call.artist is data_line)
    first.args[0]._rgb = (0.5, 0.0, 0.0, 1.0)  # as if the draw had used another colour
    reason = figure_replay.replay_dark(figure, canvas.get_renderer(), recorded,
                                       runtime._dark_recolouring).declined
    assert reason is not None and "formula" in reason


def test_the_figure_keeps_its_colours_after_a_replay():
    figure = annotated()
    artists = figure.findobj()
    before = [(a, _colour_state(a)) for a in artists]
    figure_png.figure_rasters(figure, DPI, runtime._dark_recolouring)
    for artist, state in before:
        assert _same_state(_colour_state(artist), state), artist


def test_a_black_lines_markers_are_recoloured_once_like_the_line():
    figure = markers()
    black = figure.axes[0].lines[0]
    undo = runtime._dark_recolouring(figure)
    try:
        assert black.get_markerfacecolor() == black.get_color() == runtime._dark_colour("k")
        assert black.get_markeredgecolor() == black.get_color()
    finally:
        undo()
    assert black.get_markerfacecolor() == black.get_color() == "k"


def _colour_state(artist):
    return {name: getattr(artist, f"get_{name}")() for name in
            ("color", "facecolor", "edgecolor", "markerfacecolor", "markeredgecolor")
            if hasattr(artist, f"get_{name}")}


def _same_state(a, b):
    return a.keys() == b.keys() and all(
        np.array_equal(np.asarray(matplotlib.colors.to_rgba_array(a[k])),
                       np.asarray(matplotlib.colors.to_rgba_array(b[k]))) for k in a)


def test_a_replay_that_fails_inside_falls_back_to_the_redraws_pixels(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("replay broke")

    _, _, redrawn, _ = dark_both_ways(markers, monkeypatch)
    monkeypatch.setattr(figure_replay, "_recoloured_call", broken)
    figure = markers()
    _, dark = figure_png.figure_rasters(figure, DPI, runtime._dark_recolouring)
    assert np.array_equal(np.asarray(dark), np.asarray(redrawn))


def test_a_failure_while_recording_leaves_the_light_draw_as_it_was(monkeypatch):
    figure = line()
    expected, _ = figure_png.figure_rasters(figure, DPI, runtime._dark_recolouring)

    def broken(self, value):
        raise RuntimeError("snapshot broke")

    monkeypatch.setattr(figure_replay._Snapshots, "__call__", broken)
    light, dark = figure_png.figure_rasters(line(), DPI, runtime._dark_recolouring)
    assert np.array_equal(np.asarray(light), np.asarray(expected))
    figure.canvas.draw()  # the renderer has its own buffer back
    assert figure.canvas.get_renderer()._renderer.__class__.__name__ == "RendererAgg"
