"""CPU cost of a figure's dark raster, replayed (execkernel/figure_replay.py) against redrawn.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/dark_replay.py [repeats]

Like build_speed.py's figure_stages(): one plain process, time.process_time(), each
measurement on a freshly made figure, medians; the two ways alternate so that load
drifts hit both alike. Figures: the benchmark's line plot and two made like the
BatchNorm article's (bnlab.plots: seed markers, bands, log axes, legends, 5 in wide).
Prints milliseconds per figure for each stage and way.
"""

import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "plugins"), str(REPO / "code")]
from execkernel import figure_replay, hooks as runtime, renditions as figure_png  # noqa: E402
from execkernel.policy import FIGURE_DPI  # noqa: E402

DPI = FIGURE_DPI


def benchmark_line():
    fig, ax = plt.subplots()
    ax.plot([1, 3, 2, 4])
    ax.set_title("Line 0")
    return fig


def sensitivity_like():
    """Four panels of seeds as markers with diverged runs, log x, dotted chance lines."""
    from bnlab import plots

    rng = np.random.default_rng(0)
    fig, ax = plots.subplots(2, 2, figsize=(5, 6))
    x = np.logspace(-3, 0, 8)
    for a in ax.flat:
        for variant in ("none", "bn"):
            plots.seed_markers(a, x, rng.random((3, 8)), plots.COLOR[variant], label=variant,
                               diverged=rng.random((3, 8)) > 0.85)
        a.set_xscale("log")
        a.axhline(0.1, color="0.5", linestyle=":")
    plots.diverged_legend(ax[0, 1])
    plots.label_panels(ax)
    return fig


def ics_like():
    """Three stacked panels of mean lines with min-max bands, one log axis."""
    from bnlab import plots

    rng = np.random.default_rng(1)
    fig, ax = plots.subplots(3, 1, sharex=True, figsize=(5, 8))
    steps = np.arange(0, 500, 10)
    for k, a in enumerate(ax.flat):
        for variant in ("standard", "bn", "noisy"):
            ys = np.cumsum(rng.random((3, len(steps))), 1)
            plots.band(a, steps, ys, plots.COLOR[variant], label=variant)
        a.set_ylabel(f"measure {k}")
    ax[1, 0].set_yscale("log")
    ax[0, 0].legend()
    ax[2, 0].set_xlabel("step")
    plots.label_panels(ax)
    return fig


def redraw_only():
    """The code as it was: no recording, no replay."""
    return {"_recording": lambda canvas, wanted: nullcontext(), "_replayed_dark": lambda *args: None}


def timed(make, work) -> float:
    figure = make()
    start = time.process_time()
    work(figure)
    spent = (time.process_time() - start) * 1000
    plt.close(figure)
    return spent


def first_draw(recorded: bool):
    def work(figure):
        with matplotlib.cbook._setattr_cm(figure, dpi=DPI):
            with figure_replay.recording(figure.canvas) if recorded else nullcontext():
                figure.canvas.draw()
    return work


def main(repeats: int = 21) -> None:
    from bnlab import plots

    stages = {
        "light draw": lambda way: first_draw(way == "replay"),
        "light + dark rasters": lambda way: (
            lambda figure: figure_png.figure_rasters(figure, DPI, runtime._dark_recolouring)),
        "whole kernel side (_render_png)": lambda way: (
            lambda figure: runtime._render_png(figure, DPI, True)),
    }
    for make in (benchmark_line, sensitivity_like, ics_like):
        times: dict = {}
        with matplotlib.rc_context():
            if make is not benchmark_line:
                plots.use_style()
            for _ in range(repeats):
                for way in ("redraw", "replay"):
                    for stage, work in stages.items():
                        saved = {}
                        if way == "redraw":
                            saved = {name: getattr(figure_png, name) for name in redraw_only()}
                            for name, value in redraw_only().items():
                                setattr(figure_png, name, value)
                        try:
                            times.setdefault((stage, way), []).append(timed(make, work(way)))
                        finally:
                            for name, value in saved.items():
                                setattr(figure_png, name, value)
        print(f"{make.__name__}: median CPU ms of {repeats} fresh figures (first dropped)")
        for stage in stages:
            before = statistics.median(times[(stage, "redraw")][1:])
            after = statistics.median(times[(stage, "replay")][1:])
            label = "recording" if stage == "light draw" else "replay"
            print(f"  {stage:34s} redraw {before:6.1f}   {label} {after:6.1f}   ({after - before:+.1f})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 21)
