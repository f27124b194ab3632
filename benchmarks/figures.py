"""What figures cost: CPU per figure for the dark rendition and the PNG renditions, and
the bytes a phone downloads for the BatchNorm article's figures. Prints; asserts nothing.

    python benchmarks/figures.py

1. Per figure, in CPU seconds (process time of the kernel and of the build together),
   with a fixture article of N figures shaped like the BatchNorm article's (11 x 3.8 in,
   three panels, the blog style): built once with EXECBLOCKS_DARK_FIGURES = False and
   once with the default (dark on); the difference over N is what the second save costs.
   The encoding (palette PNG + narrower renditions of one scheme, made in the kernel by
   execkernel/renditions.py) is timed directly on a stored figure.
2. Bytes: for each figure of results/batchnorm, the stored renditions (or, for results
   stored before renditions existed, the renditions made now from the stored PNG), and
   which one a 375 px wide phone picks at device pixel ratio 1, 2 and 3 (the browser
   takes the smallest candidate at least as wide as the displayed width x the ratio).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "plugins"), str(REPO / "benchmarks")]
from build_speed import KERNEL_CPU, executed_parts  # noqa: E402  (the same CPU count as the build bench)
FIGURES = int(os.environ.get("BENCH_FIGURES", "6"))
PHONE_CSS_WIDTH = 375 - 32  # the viewport less the page's gutters

BLOCK = """\
```{{python}}
#| fig-cap: Figure {n}
#| fig-width: 11
#| fig-height: 3.8
fig, axes = plt.subplots(1, 3)
for k, axis in enumerate(axes):
    for j in range(4):
        axis.plot(x, np.sin(x * (j + 1) + k) + rng.normal(0, 0.05, x.size), label=f"unit {{j}}")
    axis.fill_between(x, -0.2, 0.2, alpha=0.2)
    axis.set(title=f"panel {{k}}", xlabel="step", ylabel="value")
axes[0].legend();
```
"""


def fixture_site(root: Path) -> Path:
    (root / "content").mkdir(parents=True)
    setup = ("```{python}\nimport numpy as np, matplotlib.pyplot as plt\n"
             f"plt.style.use({str(REPO / 'code' / 'blog.mplstyle')!r})\n"
             "rng = np.random.default_rng(0); x = np.linspace(0, 6, 400)\n```\n")
    body = setup + "\n".join(BLOCK.format(n=n) for n in range(FIGURES)) + "\n" + KERNEL_CPU
    (root / "content" / "figs.md").write_text(f"Title: Figs\nDate: 2026-01-01\n\n{body}")
    conf = root / "conf.py"
    conf.write_text(textwrap.dedent(f"""\
        PATH = {str(root / 'content')!r}
        OUTPUT_PATH = {str(root / 'output')!r}
        PLUGIN_PATHS = [{str(REPO / 'plugins')!r}]
        PLUGINS = ["execblocks"]
        THEME = "simple"
        EXECBLOCKS_ROOT = {str(root)!r}
        TIMEZONE = "UTC"
        FEED_ALL_ATOM = None
        CATEGORY_FEED_ATOM = None
        """))
    return conf


def cpu_seconds_of_build(conf: Path, dark: bool) -> tuple[float, float]:
    """(CPU seconds of the build and its kernel, wall seconds) of a forced build: the
    build's own CPU plus the count its kernel prints last (figures are made there)."""
    conf.write_text(conf.read_text().split("EXECBLOCKS_DARK_FIGURES")[0] + f"EXECBLOCKS_DARK_FIGURES = {dark}\n")
    start = time.perf_counter()
    build, kernel = executed_parts(conf, conf.parent / "results" / "figs")
    return build + kernel, time.perf_counter() - start


def renditions_of(png: bytes):
    """The renditions execkernel/renditions.py makes from a raster, here from a stored PNG decoded."""
    import io

    from PIL import Image

    from execkernel.renditions import _flatten, renditions

    with Image.open(io.BytesIO(png)) as image:
        image.load()
        return renditions(_flatten(image.convert("RGBA")))


def per_figure_cost() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        conf = fixture_site(Path(tmp))
        cpu_light, wall_light = cpu_seconds_of_build(conf, dark=False)
        cpu_dark, wall_dark = cpu_seconds_of_build(conf, dark=True)
        notebook = json.loads((Path(tmp) / "results" / "figs" / "notebook.ipynb").read_text())
        png = next(o["data"]["image/png"] for c in notebook["cells"] for o in c["outputs"]
                   if "image/png" in o.get("data", {}))
        raw = (Path(tmp) / "results" / "figs" / png).read_bytes()
    times = []
    for _ in range(5):
        start = time.process_time()
        renditions_of(raw)
        times.append(time.process_time() - start)
    renditions = sorted(times)[2]
    print(f"fixture: {FIGURES} figures of 11 x 3.8 in, three panels, saved at 192 dpi")
    print(f"  build, light only      {cpu_light:6.2f} CPU-s   {wall_light:6.2f} s wall")
    print(f"  build, light + dark    {cpu_dark:6.2f} CPU-s   {wall_dark:6.2f} s wall")
    print(f"  per figure, dark save + its renditions   {(cpu_dark - cpu_light) / FIGURES:5.2f} CPU-s")
    print(f"  per figure, renditions of one scheme (kernel side)   {renditions:5.2f} CPU-s "
          f"(x2 with dark)")


def article_weight(article: str = "batchnorm") -> None:
    entry = REPO / "results" / article
    notebook = json.loads((entry / "notebook.ipynb").read_text())
    outputs = [o for c in notebook["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    if not outputs:
        print(f"{article}: no stored PNG figures")
        return
    stored = sum((entry / o["data"]["image/png"]).stat().st_size for o in outputs)
    derived = not any("renditions" in o.get("metadata", {}).get("execblocks", {}) for o in outputs)
    picked = {1: 0, 2: 0, 3: 0}
    full_total = 0
    for output in outputs:
        css_width = output["metadata"]["image/png"]["width"]
        renditions = output["metadata"].get("execblocks", {}).get("renditions", {}).get("light")
        if renditions:
            candidates = [(r["width"], (entry / r["file"]).stat().st_size) for r in renditions]
        else:
            raw = (entry / output["data"]["image/png"]).read_bytes()
            candidates = [(r.width, len(r.data)) for r in renditions_of(raw)]
        candidates.sort()
        full_total += candidates[-1][1]
        for ratio in picked:
            needed = min(css_width, PHONE_CSS_WIDTH) * ratio
            width, size = next((c for c in candidates if c[0] >= needed), candidates[-1])
            picked[ratio] += size
    how = "renditions made now from the stored PNGs (results predate renditions)" if derived else "stored renditions"
    print(f"{article}: {len(outputs)} figures; {how}")
    print(f"  stored light PNGs                    {stored / 1e6:6.3f} MB")
    print(f"  full-size renditions (desktop, 2x)   {full_total / 1e6:6.3f} MB")
    for ratio, size in picked.items():
        print(f"  phone 375 px at {ratio}x picks           {size / 1e6:6.3f} MB")


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    article_weight()
    per_figure_cost()
