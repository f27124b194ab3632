"""What resuming from a snapshot buys and costs. Prints figures; asserts nothing.
build_speed.py (`invoke bench`) calls `main()`; it also runs alone:

    python benchmarks/resume_speed.py            (BENCH_BATCHNORM=0 skips the BatchNorm runs)

  20-block article      the bench's 20-block, 10-figure article with its middle block (11)
                        edited: `pelican` wall time beyond a no-op build, median of 3  target <= 1.5 s
  snapshots, cold run   forced runs of the 20-block article and the training article with
                        and without EXECBLOCKS_SNAPSHOTS, CPU (build + kernel), median of the
                        pairs' ratios                                                  target <= 5 %
  BatchNorm             a copy of this site: a forced run (taking snapshots), then its last
                        plotting block edited and `invoke build` timed, wall           target <= 5 s
                        (the article's figure blocks also run their experiment: measured as
                        they are, and with the last one's plotting split into its own block)
  cache size            bytes under cache/execblocks/snapshots after those runs
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_speed as bench  # noqa: E402 - the bench's corpus and timing helpers
import user_builds  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_RESUME_ROUNDS", "3"))
PAIRS = int(os.environ.get("BENCH_SNAPSHOT_PAIRS", "5"))
LAST_PLOT = "fig = placement.plot(pl)"
LAST_RUN = "from bnlab import placement\n\npl = placement.run(placement.PlacementConfig.for_profile(PROFILE), DEVICE)\n"


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


def middle_block_edit(tmp: Path) -> tuple[float, float]:
    """(no-op wall, edit-of-block-11 wall), medians of ROUNDS."""
    conf = bench.make_site(tmp / "twenty", {"f.md": bench.figures_article()}, engine=True)
    bench.pelican(conf)  # the cold run: results and snapshots
    noop, edited = [], []
    for n in range(ROUNDS):
        noop.append(bench.pelican(conf).wall)
        path = tmp / "twenty/content/f.md"
        text = path.read_text()
        # Block 11 is `print(4 * 4)`, between the fifth and sixth figures.
        path.write_text(text.replace("print(4 * 4)" if n == 0 else f"print(4 * 4 + {n - 1})", f"print(4 * 4 + {n})", 1))
        edited.append(bench.pelican(conf).wall)
        resumed = json.loads((tmp / "twenty/results/f/provenance.json").read_text()).get("resumed_from_snapshot", [])
        assert resumed == list(range(1, 11)), f"expected a resume at block 11, got {resumed}"
    return statistics.median(noop), statistics.median(edited)


def snapshot_cost(tmp: Path) -> tuple[float, float, float]:
    """Median over pairs of CPU(with snapshots) / CPU(without) - 1, on forced runs; and the
    median CPU seconds of each side."""
    corpus = {"f.md": bench.figures_article() + bench.KERNEL_CPU, "t.md": bench.TRAINING + bench.KERNEL_CPU}
    with_conf = bench.make_site(tmp / "snap-on", corpus, engine=True)
    without_conf = bench.make_site(tmp / "snap-off", corpus, engine=True, extra="EXECBLOCKS_SNAPSHOTS = False\n")
    on, off = [], []
    for _ in range(PAIRS):
        for conf, runs in ((without_conf, off), (with_conf, on)):
            build = bench.build_own_cpu(conf, "-e", 'EXECBLOCKS_MODE="force"')
            kernels = sum(_kernel_cpu(conf.parent / "results" / name) for name in ("f", "t"))
            runs.append(build + kernels)
    return (statistics.median(a / b - 1 for a, b in zip(on, off)), statistics.median(on), statistics.median(off))


def _kernel_cpu(entry: Path) -> float:
    last = json.loads((entry / "notebook.ipynb").read_text())["cells"][-1]
    text = "".join(o["text"] if isinstance(o.get("text"), str) else "".join(o.get("text", [])) for o in last["outputs"])
    return float(text.split("kernel cpu")[1])


def batchnorm(tmp: Path, split: bool) -> tuple[float, float, list[int], int]:
    """(forced cold run wall, rebuild wall after editing the last plotting block, blocks
    resumed, cache bytes) on a copy of this site."""
    site = user_builds.user_site(tmp / ("bn-split" if split else "bn"), with_repo_content=True)
    article = site / "content/batchnorm.md"
    if split:  # the experiment in one block, its figure in the next
        text = article.read_text()
        assert LAST_RUN in text, "the BatchNorm article's last figure block changed: update LAST_RUN"
        text = text.replace(LAST_RUN, "", 1).replace(
            "```{python}\n#| label: fig-placement", "```{python}\n" + LAST_RUN + "```\n\n```{python}\n#| label: fig-placement", 1)
        article.write_text(text)
    start = time.perf_counter()
    user_builds.invoke(site, "build", "--force")
    cold = time.perf_counter() - start
    text = article.read_text()
    article.write_text(text.replace(LAST_PLOT, LAST_PLOT + "\nfor ax in fig.axes:\n    ax.grid(True, alpha=0.3)", 1))
    start = time.perf_counter()
    user_builds.invoke(site, "build")
    edit = time.perf_counter() - start
    provenance = json.loads((site / "results/batchnorm/provenance.json").read_text())
    return cold, edit, provenance.get("resumed_from_snapshot", []), folder_bytes(site / "cache/execblocks/snapshots")


def main(tmp: Path) -> None:
    noop, edited = middle_block_edit(tmp)
    print(f"20-block article, block 11 edited   {edited - noop:5.2f} s wall beyond a no-op build "
          f"({edited:.2f} s vs {noop:.2f} s, median of {ROUNDS})   target <= 1.5 s; "
          f"cache {folder_bytes(tmp / 'twenty/cache/execblocks/snapshots') / 1e6:.1f} MB")
    extra, on, off = snapshot_cost(tmp)
    print(f"snapshots on a cold run            {extra * 100:+5.1f} % CPU (median of {PAIRS} pairs' ratios; "
          f"{on:.2f} s with, {off:.2f} s without, forced runs of the 20-block and training articles)   "
          f"target <= 5 %")
    if os.environ.get("BENCH_BATCHNORM", "1") == "0":
        return
    for split in (False, True):
        cold, edit, resumed, size = batchnorm(tmp, split)
        shape = "plot split from its experiment" if split else "as committed"
        print(f"BatchNorm, last plot edited ({shape})   {edit:5.1f} s wall   target <= 5 s "
              f"(resumed blocks {resumed[0] if resumed else '-'}-{resumed[-1] if resumed else '-'}; "
              f"forced cold run {cold:.0f} s; snapshot cache {size / 1e6:.1f} MB)")


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        main(Path(scratch))
