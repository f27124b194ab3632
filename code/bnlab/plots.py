"""Figure helpers shared by the experiments: the blog style, one colour per variant,
and the two ways we show three seeds (a mean line with a min-max band, or every seed)."""

import warnings
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
from matplotlib import ticker  # noqa: F401  (re-exported for the experiments)
import numpy as np

STYLE = Path(__file__).resolve().parent.parent / "blog.mplstyle"

# Okabe & Ito (2008) colour-blind-safe palette.
OI = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
# One colour per variant, the same in every figure of the article.
COLOR = {
    "none": OI["vermillion"], "plain": OI["vermillion"], "standard": OI["vermillion"],
    "raw": OI["vermillion"],
    "bn": OI["blue"], "before": OI["blue"], "normalised": OI["blue"], "z-score": OI["blue"],
    "noisy": OI["orange"], "min-max": OI["orange"],
    "after": OI["green"],
}


# The article's figures are PHONE_WIDTH inches wide, one or two panels per row, so that
# on a 375 px phone (about 343 px of figure at savefig.dpi 150) a 10 pt tick label is
# 10 / 72 * 150 * 343 / (150 * 5) = 9.5 px tall: legible. Wider figures shrink it.
PHONE_WIDTH = 5.0
LEGIBLE = {"xtick.labelsize": 10, "ytick.labelsize": 10, "axes.labelsize": 10,
           "axes.titlesize": 10.5, "legend.fontsize": 9.5, "font.size": 10}
SEED_MARKERS = ("o", "s", "^", "D", "v", "P")  # seed k is drawn with marker k


def use_style():
    """Apply the blog style globally (figures are saved after the block that drew them,
    so savefig settings must be global, not inside a style context)."""
    plt.style.use(STYLE)
    plt.rcParams.update(LEGIBLE)


def subplots(nrows=1, ncols=1, **kw):
    """plt.subplots in the blog style. The size comes from rcParams (the article's
    fig-width / fig-height) unless `figsize` is given."""
    use_style()
    return plt.subplots(nrows, ncols, squeeze=False, **kw)


def band(ax, x, ys, color, label=None, alpha=0.22, **kw):
    """Mean over seeds as a line, min..max over seeds as a shaded band. ys: (seeds, len(x))."""
    ys = np.asarray(ys, dtype=float)
    ax.plot(x, ys.mean(0), color=color, label=label, **kw)
    ax.fill_between(x, ys.min(0), ys.max(0), color=color, alpha=alpha, linewidth=0)


def seed_markers(ax, x, ys, color, label=None, diverged=None, ceiling=None, **kw):
    """Every seed as a dot (seed k with SEED_MARKERS[k], hollow), the mean as a line.
    Diverged runs (boolean `diverged`, same
    shape as ys) are drawn as an 'x' at `ceiling` (default: the top of the axis later)."""
    ys = np.asarray(ys, dtype=float)
    x = np.asarray(x, dtype=float)
    div = np.zeros_like(ys, bool) if diverged is None else np.asarray(diverged, bool)
    ok = np.where(div, np.nan, ys)
    with warnings.catch_warnings():  # an all-diverged column has no mean: nan is right
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(ok, 0)
    ax.plot(x, mean, color=color, label=label, **kw)
    for s in range(ys.shape[0]):
        good = ~div[s]
        ax.plot(x[good], ys[s][good], SEED_MARKERS[s % len(SEED_MARKERS)], color=color,
                markerfacecolor="none", alpha=0.8, markersize=4.5, linestyle="none")
    if div.any():
        top = ceiling if ceiling is not None else np.nanmax(np.where(div, np.nan, ys))
        xs = np.repeat(x[None], ys.shape[0], 0)[div]
        ax.plot(xs, np.full(xs.shape, top), "x", color=color, markersize=8, mew=2,
                linestyle="none")


def diverged_legend(ax, extra=(), where=None, **kw):
    """Legend of `ax` plus an entry explaining the 'x' markers and any `extra`
    (handle, label) pairs; drawn on `where` (an Axes or a Figure, default `ax`)."""
    handles, labels = ax.get_legend_handles_labels()
    handles.append(matplotlib.lines.Line2D([], [], marker="x", color="0.3", linestyle="none",
                                           markersize=8, mew=2))
    labels.append("diverged (a seed)")
    for k, m in enumerate(SEED_MARKERS[:3]):
        handles.append(matplotlib.lines.Line2D([], [], marker=m, color="0.3",
                                               markerfacecolor="none", linestyle="none"))
        labels.append(f"seed {k}")
    for h, label in extra:
        handles.append(h)
        labels.append(label)
    (where or ax).legend(handles, labels, **kw)


def label_panels(axes):
    """Prefix each panel's title with (a), (b), ... (call after setting the titles)."""
    for i, ax in enumerate(np.ravel(axes)):
        ax.set_title(f"({chr(97 + i)}) {ax.get_title()}")
