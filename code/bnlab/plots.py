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
    "after": OI["green"], "noise": OI["purple"],
    "l1": OI["sky"], "l2": OI["green"], "linf": OI["black"],
}


# The article's figures are sub-figures of PHONE_WIDTH inches, one panel each, laid side
# by side on wide screens and stacked on phones (the blocks' `layout-ncol`). On a 375 px
# phone a figure is about 343 CSS px wide, so a 10 pt tick label is
# 10 / 72 * 343 / 4 = 11.9 CSS px tall (at least 11: tests/unit/experiments checks it).
PHONE_WIDTH = 4.0
PHONE_CSS_PX = 343
LEGIBLE = {"xtick.labelsize": 10, "ytick.labelsize": 10, "axes.labelsize": 10.5,
           "axes.titlesize": 11, "legend.fontsize": 9.5, "font.size": 10}
SEED_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")  # seed k is drawn with marker k


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


def figure(**kw):
    """One panel: (fig, ax) in the blog style; the size comes from rcParams (the
    article's fig-width / fig-height) unless `figsize` is given."""
    fig, ax = subplots(1, 1, **kw)
    return fig, ax[0, 0]


def band(ax, x, ys, color, label=None, **kw):
    """Mean over seeds as a line, the min and max over seeds as thin lines of the same
    colour (no translucent fill: overlapping fills of two colours merge into grey).
    ys: (seeds, len(x))."""
    ys = np.asarray(ys, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ax.plot(x, np.nanmean(ys, 0), color=color, label=label, **kw)
        for edge in (np.nanmin(ys, 0), np.nanmax(ys, 0)):
            ax.plot(x, edge, color=color, linewidth=0.7, alpha=0.8)


def log_ticks(ax, axis="y"):
    """A log axis with at least two labelled ticks: when its range is under a few
    decades, label 1-2-5 steps instead of the decades alone."""
    a = ax.yaxis if axis == "y" else ax.xaxis
    lo, hi = sorted(ax.get_ylim() if axis == "y" else ax.get_xlim())
    if lo <= 0 or np.log10(hi / lo) >= 2:
        a.set_major_locator(ticker.LogLocator(numticks=5))
        a.set_minor_formatter(ticker.NullFormatter())
        return
    if np.log10(hi / lo) < 0.7:  # under a factor of 5: plain numbers, placed linearly
        a.set_major_locator(ticker.MaxNLocator(4))
        a.set_major_formatter(ticker.ScalarFormatter())
    else:
        a.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        a.set_major_formatter(ticker.LogFormatterSciNotation(labelOnlyBase=False))
    a.set_minor_formatter(ticker.NullFormatter())


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
    handles.append(matplotlib.lines.Line2D([], [], marker="o", color="0.3",
                                           markerfacecolor="none", linestyle="none"))
    labels.append("a seed (one shape each)")
    for h, label in extra:
        handles.append(h)
        labels.append(label)
    # a framed, nearly opaque legend: where it has to sit over data, the data stay behind it
    kw = {"frameon": True, "framealpha": 0.9, "edgecolor": "none", **kw}
    (where or ax).legend(handles, labels, **kw)


def labelled_ticks(ax, axis="y") -> int:
    """How many tick labels of an axis are drawn inside its limits (after a draw)."""
    a = ax.yaxis if axis == "y" else ax.xaxis
    lo, hi = sorted(ax.get_ylim() if axis == "y" else ax.get_xlim())
    return sum(1 for t in a.get_major_ticks()
               if t.label1.get_visible() and t.label1.get_text() and lo <= t.get_loc() <= hi)


def label_panels(axes):
    """Prefix each panel's title with (a), (b), ... (call after setting the titles)."""
    for i, ax in enumerate(np.ravel(axes)):
        ax.set_title(f"({chr(97 + i)}) {ax.get_title()}")
