"""What the engine adds to a Pelican build. Prints figures; asserts nothing.

    invoke bench            (or: python benchmarks/build_speed.py; BENCH_PAIRS=9 by default)

A 3-article corpus (a 20-block article with 10 figures, a training article, a prose
article) is built with the repository's theme and settings twice over: once with the
engine, once without it (the same site, blocks shown as plain code). Every build is a
fresh `python -m pelican` process, as `invoke build` is. Measured in one run:

  no-op build          engine, every result fresh / Pelican alone, the median over 9 pairs
                       (BENCH_PAIRS) built back to back of each pair's ratio        target <= 1.15x
  prose edit           the same after editing prose in each article                     target <= 1.15x
  per trivial block    (101 trivial blocks - 1 block) / 100, kernel start cancelled out   target <= 10 ms
  figure block         (30 figures left to the engine - the same 30 each saved by its
                       block with matplotlib's savefig at the engine's dpi, tight box, twice:
                       light, then on the dark background, the two savefigs its light and
                       dark renditions need) / 30, median of 7 rounds of forced runs
                       (BENCH_FIGURE_ROUNDS): both in the engine's kernels, so savefig runs
                       where the engine's work does                                   target <= 10 ms
                       (also printed: the engine's cost per figure against closing it
                       unsaved; savefig alone in a plain process; the files each figure
                       gives -- light and dark, full size and for phones; the light
                       rendition alone against one savefig; and the kernel's stages for
                       that figure, timed in a plain process)
  freshness check      `invoke status` work for 2,000 generated articles with results  target <= 1 s

Then benchmarks/user_builds.py (`invoke build` and `invoke status` as whole processes, on
this site's content and on generated corpora sharing 18 files of code/) and
benchmarks/resume_speed.py (an edited block resumed from a snapshot; the snapshots' cost).

Ratios and per-block figures use CPU seconds (user + sys of the build, plus the kernel's
own count, which its last block prints): on a shared machine wall time mostly measures
the neighbours. Wall times are printed too.
"""

from __future__ import annotations

import compileall
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Pairs per ratio. Builds of 0.3-0.4 s vary by a few per cent from run to run here, and
# the median of 5 pairs moved by +-0.05 between runs of the bench; 9 pairs narrow that.
PAIRS = int(os.environ.get("BENCH_PAIRS", "9"))
sys.path.insert(0, str(REPO / "plugins"))
from execkernel.figure_saving import DARK_BACKGROUND  # noqa: E402 - the dark rendition's background
from execkernel.policy import FIGURE_DPI  # noqa: E402 - the engine's own dpi, so savefig matches it

PLOT = "fig, ax = plt.subplots()\nax.plot([1, 3, 2, 4])\nax.set_title('Line {i}')"
# The last block of a measured article prints its kernel's CPU seconds: the kernel is not
# a child the build waits for, so the build's own CPU count does not include it.
KERNEL_CPU = "```{python}\nimport time as _time\nprint('kernel cpu', _time.process_time())\n```\n"


def figures_article(mode: str = "engine", figures: int = 10) -> str:
    """`figures` blocks that draw one figure each, each but the last followed by one that
    prints (20 blocks for the no-op corpus's 10 figures). `mode` says what becomes of
    each figure: "engine", left open for the engine to save (the article measured);
    "savefig", saved by the block itself with matplotlib's savefig as the engine's settings
    ask (dpi, tight box, no metadata), twice as the light and dark renditions need (the
    second on the dark background, a recolouring's cheapest part), and closed; "close",
    closed unsaved."""
    save = (f"fig.savefig(_io.BytesIO(), format='png', dpi={FIGURE_DPI}, bbox_inches='tight', "
            "metadata={'Software': None})")
    after = {"engine": "",
             "savefig": f"\n{save}\nfig.set_facecolor('{DARK_BACKGROUND}')\n{save}\nplt.close('all')",
             "close": "\nplt.close('all')"}[mode]
    blocks = ["```{python}\nimport io as _io\nimport matplotlib.pyplot as plt\nprint('ready')\n```"]
    for i in range(figures):
        blocks.append(f"```{{python}}\n#| fig-cap: Line {i}\n{PLOT.format(i=i)};{after}\n```")
        if i < figures - 1:
            blocks.append(f"```{{python}}\nprint({i} * {i})\n```")
    prose = "\n\n".join(f"Paragraph {n}: some words about the figures that follow." for n in range(20))
    return f"Title: Figures\nDate: 2026-01-01\n\n{prose}\n\n" + "\n\nSome prose.\n\n".join(blocks) + "\n"


TRAINING = '''Title: Training
Date: 2026-01-02

A logistic regression trained by gradient descent, printing its loss.

```{python}
import numpy as np
rng = np.random.default_rng(0)
X = rng.normal(size=(2000, 20))
y = (X @ rng.normal(size=20) > 0).astype(float)
w = np.zeros(20)
for step in range(300):
    p = 1 / (1 + np.exp(-X @ w))
    w -= 0.5 * X.T @ (p - y) / len(y)
    if step % 100 == 0:
        print(f"step {step}: loss {-np.mean(y * np.log(p + 1e-9) + (1 - y) * np.log(1 - p + 1e-9)):.4f}")
accuracy = float(np.mean((X @ w > 0) == y))
```

The accuracy is `{python} round(accuracy, 3)`.
'''


def prose_article() -> str:
    paragraphs = "\n\n".join(f"Paragraph {n}. " + "Words that only Pelican reads. " * 30 for n in range(40))
    return f"Title: Prose\nDate: 2026-01-03\n\n{paragraphs}\n"


def trivial_article(blocks: int) -> str:
    body = "\n".join(f"```{{python}}\nx{i} = {i}\n```\n" for i in range(blocks))
    return f"Title: Trivial\nDate: 2026-01-01\n\n{body}\n{KERNEL_CPU}"


def make_site(root: Path, articles: dict[str, str], engine: bool, extra: str = "") -> Path:
    """A site with the repository's theme and settings; with or without the engine."""
    (root / "content").mkdir(parents=True, exist_ok=True)
    for name, text in articles.items():
        (root / "content" / name).write_text(text)
    # The site's own PLUGINS (pelicanconf.py); the baseline is the same list minus the engine.
    plugins = "PLUGINS" if engine else '[name for name in PLUGINS if name != "execblocks"]'
    conf = root / "conf.py"
    conf.write_text(textwrap.dedent(f"""\
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from pelicanconf import *  # the repository's settings
        PATH = {str(root / 'content')!r}
        PAGE_PATHS, ARTICLE_EXCLUDES, STATIC_PATHS = [], [], []
        OUTPUT_PATH = {str(root / 'output')!r}
        THEME = {str(REPO / 'theme')!r}
        PLUGIN_PATHS = [{str(REPO / 'plugins')!r}]
        PLUGINS = {plugins}
        EXECBLOCKS_ROOT = {str(root)!r}
        EXECBLOCKS_CODE_DIRS = []
        EXTRA_PATH_METADATA = {{}}
        """) + extra)
    return conf


@dataclass
class Timing:
    wall: float
    cpu: float  # user + sys of the pelican process and everything it waited for (kernels)


def pelican(conf: Path, *extra: str) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pelican", "-s", str(conf), "--fatal", "errors", "-q", *extra],
                          capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"pelican failed for {conf}:\n{done.stdout}{done.stderr}")
    return Timing(wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def median(timings: list[Timing]) -> Timing:
    return Timing(statistics.median(t.wall for t in timings), statistics.median(t.cpu for t in timings))


@dataclass
class Paired:
    plain: Timing  # medians of each side
    engine: Timing
    ratio: float  # median over pairs of engine CPU / plain CPU, each pair built back to back


def pairs(plain: Path, engine: Path, before_each=None) -> Paired:
    """Alternate the two builds so drifting load hits both alike; the ratio is taken
    within each pair, where the load was alike, then the median over pairs."""
    plain_runs, engine_runs = [], []
    for n in range(PAIRS):
        if before_each:
            before_each(n)
        plain_runs.append(pelican(plain))
        engine_runs.append(pelican(engine))
    return Paired(median(plain_runs), median(engine_runs),
                  statistics.median(e.cpu / p.cpu for e, p in zip(engine_runs, plain_runs)))


def edit_prose(root: Path, n: int) -> None:
    for path in (root / "content").glob("*.md"):
        with open(path, "a") as handle:
            handle.write(f"\nAn edit to the prose, number {n}.\n")


def executed_cpu(conf: Path, entry: Path, runs: int = 3) -> float:
    """Median CPU seconds of forced runs of one article: the build's plus its kernel's."""
    return statistics.median(sum(executed_parts(conf, entry)) for _ in range(runs))


# `python -m pelican` that writes its own CPU seconds (not its children's) on exit. The
# build's children's count cannot be used beside the kernel's own: whether it holds the
# kernel's CPU depends on whether the build happened to reap the kernel process (one
# forced run in three or so here), which swung a figure's cost by 200 ms.
OWN_CPU = """\
import atexit, resource, runpy, sys
def report(path=sys.argv.pop(1)):
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with open(path, "w") as handle:
        handle.write(repr(usage.ru_utime + usage.ru_stime))
atexit.register(report)
sys.argv[0] = "pelican"
runpy.run_module("pelican", run_name="__main__")
"""


def build_own_cpu(conf: Path, *extra: str) -> float:
    """CPU seconds of one build's own process, without any process it started."""
    with tempfile.NamedTemporaryFile("r", suffix=".cpu") as report:
        done = subprocess.run([sys.executable, "-c", OWN_CPU, report.name, "-s", str(conf), "--fatal", "errors", "-q",
                               *extra], capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
        if done.returncode:
            raise SystemExit(f"pelican failed for {conf}:\n{done.stdout}{done.stderr}")
        return float(report.read())


def executed_parts(conf: Path, entry: Path) -> tuple[float, float]:
    """CPU seconds of one forced run of one article: (the build's own, its kernel's)."""
    build = build_own_cpu(conf, "-e", 'EXECBLOCKS_MODE="force"')
    last = json.loads((entry / "notebook.ipynb").read_text())["cells"][-1]
    text = "".join(o.get("text", "") if isinstance(o.get("text"), str) else "".join(o.get("text", []))
                   for o in last["outputs"])
    return build, float(text.split("kernel cpu")[1])


FIGURES = 30  # figures per measured article: one figure's ~0.1 s against a run's ~4 s
FIGURE_ROUNDS = int(os.environ.get("BENCH_FIGURE_ROUNDS", "7"))


def figure_rounds(sites: dict[str, Path], rounds: int = FIGURE_ROUNDS) -> dict[str, list[tuple[float, float]]]:
    """(build, kernel) CPU seconds of `rounds` forced runs of each site's article, the
    sites taken in turn within each round so that drifting load hits them alike."""
    parts: dict[str, list[tuple[float, float]]] = {name: [] for name in sites}
    for _ in range(rounds):
        for name, conf in sites.items():
            parts[name].append(executed_parts(conf, conf.parent / "results/f"))
    return parts


def per_figure(parts: dict, measured: str, baseline: str) -> tuple[float, float]:
    """Median over rounds of what a figure costs in `measured` beyond `baseline`, per
    figure: (build + kernel, kernel alone)."""
    totals = [(sum(m) - sum(b)) / FIGURES for m, b in zip(parts[measured], parts[baseline])]
    kernels = [(m[1] - b[1]) / FIGURES for m, b in zip(parts[measured], parts[baseline])]
    return statistics.median(totals), statistics.median(kernels)


def savefig_alone() -> float:
    """Median CPU seconds of matplotlib's own savefig of the benchmark's figure, with the
    engine's settings (dpi, tight box, no metadata), in a plain Python process."""
    own = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""\
        import io, statistics, time
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import sys; sys.path.insert(0, {str(REPO / 'plugins')!r})
        from execkernel.policy import FIGURE_DPI
        times = []
        for i in range(11):
            {PLOT.replace(chr(10), chr(10) + '            ')}
            start = time.process_time()
            fig.savefig(io.BytesIO(), format="png", dpi=FIGURE_DPI, bbox_inches="tight", metadata={{"Software": None}})
            times.append(time.process_time() - start)
            plt.close(fig)
        print(statistics.median(times[1:]))
        """)], capture_output=True, text=True, check=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
    return float(own.stdout)


def figure_stages() -> dict[str, float]:
    """Median CPU ms of each kernel-side stage of the benchmark's figure (execkernel/renditions.py),
    each on a freshly made figure, beside matplotlib's own savefig, in one plain Python
    process: what the figure line's total is made of, without the build's noise."""
    own = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""\
        import io, json, statistics, time
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import sys; sys.path.insert(0, {str(REPO / 'plugins')!r})
        from execkernel import figure_saving as runtime, renditions as figure_png
        from execkernel.policy import FIGURE_DPI
        dpi = FIGURE_DPI
        stages = {{}}
        def timed(name, work):
            {PLOT.replace(chr(10), chr(10) + '            ').format(i=0)}
            start = time.process_time()
            result = work(fig)
            stages.setdefault(name, []).append((time.process_time() - start) * 1000)
            plt.close(fig)
            return result
        for i in range(11):
            timed("savefig", lambda fig: fig.savefig(io.BytesIO(), format="png", dpi=dpi, bbox_inches="tight",
                                                     metadata={{"Software": None}}))
            timed("light raster (draw, tight box, crop)", lambda fig: figure_png.figure_rasters(fig, dpi))
            light, dark = timed("light + dark rasters",
                                lambda fig: figure_png.figure_rasters(fig, dpi, runtime._dark_recolouring))
            stages.setdefault("encode light renditions", []).append(0)
            start = time.process_time()
            figure_png.renditions(light)
            stages["encode light renditions"][-1] = (time.process_time() - start) * 1000
            timed("whole kernel side", lambda fig: runtime._render_png(fig, dpi, True))
        print(json.dumps({{name: statistics.median(times[1:]) for name, times in stages.items()}}))
        """)], capture_output=True, text=True, check=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
    return json.loads(own.stdout)


def freshness_check(root: Path, count: int = 2000) -> tuple[float, float, int]:
    """Seconds (wall, CPU) `status` takes over `count` generated articles with stored results."""
    import nbformat
    from pelican.settings import read_settings

    from execblocks import status
    from execblocks.config import EngineSettings
    from execblocks.execute.kernel_run import ExecutionResult
    from execblocks.source.parse import parse_text
    from execblocks.pipeline import store_result
    from execblocks.store.results_folder import ResultsStore

    content = root / "content"
    content.mkdir(parents=True)
    settings = EngineSettings.from_pelican(read_settings(None, override={
        "PATH": str(content), "EXECBLOCKS_ROOT": str(root), "OUTPUT_PATH": str(root / "output")}))
    store = ResultsStore(settings.results_dir)
    for n in range(count):
        text = (f"Title: Generated {n}\nDate: 2026-01-01\n\nProse {n}.\n\n```{{python}}\nx = {n}\n```\n\n"
                f"```{{python}}\n#| echo: false\nprint(x * 2)\n```\n\nThe value is `{{python}} x`.\n")
        path = content / f"a{n:04d}.md"
        path.write_text(text)
        article = parse_text(text, path, root, content)
        notebook = nbformat.v4.new_notebook()
        for block in article.blocks:
            cell = nbformat.v4.new_code_cell(block.code, id=f"block-{block.index + 1}")
            cell.metadata["execblocks"] = {"block": block.index}
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"{n * 2}\n")]
            notebook.cells.append(cell)
        store_result(store, ExecutionResult(article, notebook, [str(n)], [], "cpu", {"python": "3.11"},
                                             [0.001, 0.001], 0.1, "2026-01-01T00:00:00+00:00"), settings)
    start, start_cpu = time.perf_counter(), time.process_time()
    plans = status(settings)
    return time.perf_counter() - start, time.process_time() - start_cpu, sum(p.state == "fresh" for p in plans)


def main() -> None:
    # Pelican's modules were byte-compiled by pip; the plugins by ./bootstrap. Do it here too,
    # or with PYTHONDONTWRITEBYTECODE set each build would compile them from source again.
    compileall.compile_dir(REPO / "plugins", quiet=1)
    corpus = {"figures.md": figures_article(), "training.md": TRAINING, "prose.md": prose_article()}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        plain = make_site(tmp / "plain", corpus, engine=False)
        engine = make_site(tmp / "engine", corpus, engine=True)
        first = pelican(engine)  # executes the figures and training articles
        noop = pairs(plain, engine)
        prose = pairs(plain, engine, lambda n: (edit_prose(tmp / "plain", n),
                                                                   edit_prose(tmp / "engine", n)))

        def figure_site(name: str, mode: str, extra: str = "") -> Path:
            return make_site(tmp / name, {"f.md": figures_article(mode, FIGURES) + KERNEL_CPU}, engine=True,
                             extra=extra)

        # EXECBLOCKS_DARK_FIGURES = False: the light rendition alone, against one savefig
        # (half of the "saves" site's two).
        sites = {"draws": figure_site("draws", "engine"), "saves": figure_site("saves", "savefig"),
                 "closes": figure_site("closes", "close"),
                 "draws-light": figure_site("draws-light", "engine", "EXECBLOCKS_DARK_FIGURES = False\n")}
        parts = figure_rounds(sites)
        # The target: what a figure costs when the engine saves it, beyond what the same
        # figure costs when the block saves it with the two savefigs its renditions need
        # (light and dark), both in the engine's kernels.
        beyond_savefigs_s, _ = per_figure(parts, "draws", "saves")
        per_figure_s, per_figure_kernel_s = per_figure(parts, "draws", "closes")
        two_savefigs_kernel_s, _ = per_figure(parts, "saves", "closes")
        light_beyond_s = per_figure(parts, "draws-light", "closes")[0] - two_savefigs_kernel_s / 2
        light_files = len(list((tmp / "draws-light/results/f").glob("*.png"))) / FIGURES
        savefig_s = savefig_alone()
        files_per_figure = len(list((tmp / "draws/results/f").glob("*.png"))) / FIGURES
        stages = figure_stages()

        one = make_site(tmp / "one", {"t.md": trivial_article(1)}, engine=True)
        many = make_site(tmp / "many", {"t.md": trivial_article(101)}, engine=True)
        per_block_s = (executed_cpu(many, tmp / "many/results/t") - executed_cpu(one, tmp / "one/results/t")) / 100

        fresh_wall, fresh_cpu, fresh_n = freshness_check(tmp / "many-articles")

    def ratio(paired: Paired) -> str:
        engine_t, plain_t = paired.engine, paired.plain
        return (f"{paired.ratio:5.2f}x  (median of the pairs' CPU ratios; medians CPU {engine_t.cpu:.2f} s vs "
                f"{plain_t.cpu:.2f} s, {engine_t.cpu / plain_t.cpu:.2f}x; wall {engine_t.wall:.2f} s vs "
                f"{plain_t.wall:.2f} s, {engine_t.wall / plain_t.wall:.2f}x)")

    print(f"corpus: 20-block article with 10 figures, training article, prose article; "
          f"median of {PAIRS} pairs; first build (executes both) {first.wall:.1f} s wall, {first.cpu:.1f} s CPU")
    print(f"no-op build        {ratio(noop)}   target <= 1.15x")
    print(f"prose edit         {ratio(prose)}   target <= 1.15x")
    print(f"per trivial block  {per_block_s * 1000:5.1f} ms CPU (build + kernel)   target <= 10 ms")
    print(f"figure block       {beyond_savefigs_s * 1000:5.1f} ms CPU beyond matplotlib's two savefigs, light + "
          f"dark (the same figures, each saved twice by its block in the same kind of kernel; engine per "
          f"figure {per_figure_s * 1000:.0f} ms, two savefigs {two_savefigs_kernel_s * 1000:.0f} ms there, one "
          f"{savefig_s * 1000:.0f} ms in a plain process)   target <= 10 ms")
    print(f"                   {files_per_figure:g} PNG files per figure (light and dark, full and for phones); "
          f"of the {per_figure_s * 1000:.0f} ms, the kernel's {per_figure_kernel_s * 1000:.0f} ms")
    print(f"                   without the dark rendition (EXECBLOCKS_DARK_FIGURES = False, {light_files:g} PNG files "
          f"per figure): {light_beyond_s * 1000:+.1f} ms beyond one savefig")
    print("                   kernel side in one plain process, CPU ms: "
          + ", ".join(f"{name} {ms:.1f}" for name, ms in stages.items())
          + f"; whole kernel side - two savefigs = {stages['whole kernel side'] - 2 * stages['savefig']:+.1f}")
    print(f"freshness check    {fresh_cpu:5.2f} s CPU for 2,000 generated articles, {fresh_n} fresh "
          f"(wall {fresh_wall:.2f} s)   target <= 1 s")
    # As users run them: `invoke build` / `invoke status` as whole processes (user_builds.py),
    # and what resuming from a snapshot buys and costs (resume_speed.py).
    import resume_speed
    import user_builds

    with tempfile.TemporaryDirectory() as tmp:
        user_builds.main(Path(tmp))
        resume_speed.main(Path(tmp))
    print(f"(machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
