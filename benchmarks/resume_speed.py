"""What resuming from a snapshot buys and costs. Prints figures; asserts nothing.
build_speed.py (`invoke bench`) calls `main()`; it also runs alone:

    python benchmarks/resume_speed.py            (BENCH_BATCHNORM=0 skips the BatchNorm runs)

  20-block article      the bench's 20-block, 10-figure article with its middle block (11)
                        edited: `pelican` wall time beyond a no-op build, median of ROUNDS
                        pairs (no-op, edit) built back to back                          target <= 1.5 s;
                        then blocks 6-15 edited one at a time, one build each (where no state
                        is kept before a block, its edit reruns the blocks since the last)
  snapshots, cold run   forced runs of the 20-block article and the training article with
                        and without EXECBLOCKS_SNAPSHOTS, CPU (build + kernel), median of the
                        pairs' ratios (their range printed beside it)                   target <= 5 %
  BatchNorm             a copy of this site: the article run from the top (taking snapshots),
                        then its last plotting block edited and `invoke build` timed, wall,
                        beside a no-op `invoke build` of the same copy                 target <= 5 s
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
PAIRS = int(os.environ.get("BENCH_SNAPSHOT_PAIRS", "25"))  # the pairs move by +-5 %: fewer leave the median to chance
LAST_PLOT = "figs = placement.plot(pl)"  # the article's last figure block (its experiment is the block before)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


def middle_block_edit(tmp: Path) -> tuple[float, float, float, list[int]]:
    """(median over pairs of edit wall - no-op wall, median no-op wall, median edit wall,
    the blocks the last edit restored from a snapshot), ROUNDS pairs built back to back."""
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
    return (statistics.median(e - o for e, o in zip(edited, noop)), statistics.median(noop), statistics.median(edited),
            resumed)


MIDDLE = range(6, 16)  # the blocks (from 1) edited one at a time: figures 3-7 and the prints between them
FENCE = "```{python}\n"


def every_middle_block_edit(tmp: Path, noop: float) -> list[tuple[int, float, list[int]]]:
    """The 20-block site of `middle_block_edit`, each of the MIDDLE blocks edited in turn (a
    comment added to its code): (block, edit wall - `noop`, the blocks restored). Where the
    cache keeps no state before the block, its edit reruns the blocks since the last one."""
    path = tmp / "twenty/content/f.md"
    found = []
    for block in MIDDLE:
        head, *blocks = path.read_text().split(FENCE)
        code, rest = blocks[block - 1].split("\n```", 1)
        blocks[block - 1] = f"{code}\n# edited\n```{rest}"
        path.write_text(FENCE.join([head, *blocks]))
        wall = bench.pelican(tmp / "twenty/conf.py").wall  # make_site's settings file
        resumed = json.loads((tmp / "twenty/results/f/provenance.json").read_text()).get("resumed_from_snapshot", [])
        found.append((block, wall - noop, resumed))
    return found


def snapshot_cost(tmp: Path) -> tuple[float, float, float, list[float]]:
    """Median over pairs of CPU(with snapshots) / CPU(without) - 1, on forced runs; the
    median CPU seconds of each side; every pair's ratio, sorted."""
    corpus = {"f.md": bench.figures_article() + bench.KERNEL_CPU, "t.md": bench.TRAINING + bench.KERNEL_CPU}
    with_conf = bench.make_site(tmp / "snap-on", corpus, engine=True)
    without_conf = bench.make_site(tmp / "snap-off", corpus, engine=True, extra="EXECBLOCKS_SNAPSHOTS = False\n")
    on, off = [], []
    for _ in range(PAIRS):
        for conf, runs in ((without_conf, off), (with_conf, on)):
            build = bench.build_own_cpu(conf, "-e", 'EXECBLOCKS_MODE="force"')
            kernels = sum(_kernel_cpu(conf.parent / "results" / name) for name in ("f", "t"))
            runs.append(build + kernels)
    ratios = sorted(a / b - 1 for a, b in zip(on, off))
    return statistics.median(ratios), statistics.median(on), statistics.median(off), ratios


def snapshot_blocks(folder: Path) -> list[int]:
    """The blocks (from 1) an article's cache holds the state after."""
    sidecars = [json.loads(p.read_text()) for p in folder.glob("*.json") if p.name != "latest.json"]
    return sorted(info["block"] + 1 for info in sidecars if info["snapshot"])


def _kernel_cpu(entry: Path) -> float:
    last = json.loads((entry / "notebook.ipynb").read_text())["cells"][-1]
    text = "".join(o["text"] if isinstance(o.get("text"), str) else "".join(o.get("text", [])) for o in last["outputs"])
    return float(text.split("kernel cpu")[1])


def batchnorm(tmp: Path) -> tuple[float, float, float, list[int], list[int], int]:
    """(cold run wall, no-op build wall, rebuild wall after editing the last plotting block,
    blocks resumed, blocks run, cache bytes) on a copy of this site."""
    site = user_builds.user_site(tmp / "bn", with_repo_content=True)
    article = site / "content/batchnorm.md"
    start = time.perf_counter()
    user_builds.invoke(site, "run", "content/batchnorm.md")  # from the top, taking snapshots
    cold = time.perf_counter() - start
    noop = user_builds.invoke(site, "build").wall
    text = article.read_text()
    assert LAST_PLOT in text, "the BatchNorm article's last figure block changed: update LAST_PLOT"
    article.write_text(text.replace(LAST_PLOT, LAST_PLOT + "\nfor ax in figs[0].axes:\n    ax.grid(True, alpha=0.3)", 1))
    edit = user_builds.invoke(site, "build").wall
    provenance = json.loads((site / "results/batchnorm/provenance.json").read_text())
    resumed = provenance.get("resumed_from_snapshot", [])
    skipped = set(provenance.get("skipped_unaffected", []))
    ran = [n for n in range(1, len(provenance["block_seconds"]) + 1) if n not in resumed and n not in skipped]
    return cold, noop, edit, resumed, ran, folder_bytes(site / "cache/execblocks/snapshots")


def _span(blocks: list[int]) -> str:
    return f"{blocks[0]}-{blocks[-1]}" if blocks else "none"


def main(tmp: Path) -> None:
    beyond, noop, edited, resumed = middle_block_edit(tmp)
    twenty_cache = folder_bytes(tmp / "twenty/cache/execblocks/snapshots")
    print(f"20-block article, block 11 edited   {beyond:5.2f} s wall beyond a no-op build (median of {ROUNDS} "
          f"pairs' differences; medians {edited:.2f} s vs {noop:.2f} s; blocks {_span(resumed)} restored)   "
          f"target <= 1.5 s")
    edits = every_middle_block_edit(tmp, noop)
    worst = max(edits, key=lambda e: e[1])
    print(f"20-block article, blocks {MIDDLE[0]}-{MIDDLE[-1]} edited   {statistics.median(e[1] for e in edits):5.2f} s "
          f"wall beyond a no-op build (median of the {len(edits)} edits, one build each; the dearest: block "
          f"{worst[0]}, {worst[1]:.2f} s, blocks {_span(worst[2])} restored; an edited figure block reruns every "
          f"later figure block, as each calls a function of plt, which the edited one may have changed)")
    extra, on, off, ratios = snapshot_cost(tmp)
    print(f"snapshots on a cold run            {extra * 100:+5.1f} % CPU (median of {PAIRS} pairs' ratios, "
          f"{ratios[0] * 100:+.1f} to {ratios[-1] * 100:+.1f} %; {on:.2f} s with, {off:.2f} s without, forced "
          f"runs of the 20-block and training articles; the 20-block article's snapshots after blocks "
          f"{', '.join(map(str, snapshot_blocks(tmp / 'snap-on/cache/execblocks/snapshots/f')))})   target <= 5 %")
    sizes = f"20-block article {twenty_cache / 1e6:.1f} MB"
    if os.environ.get("BENCH_BATCHNORM", "1") != "0":
        cold, bn_noop, edit, resumed, ran, size = batchnorm(tmp)
        print(f"BatchNorm, last plot edited        {edit:5.1f} s wall   target <= 5 s (no-op build {bn_noop:.1f} s; "
              f"blocks {_span(resumed)} restored from the snapshot, blocks {', '.join(map(str, ran))} ran; "
              f"run from the top {cold:.0f} s)")
        sizes += f", BatchNorm {size / 1e6:.1f} MB"
    print(f"snapshot cache                     {sizes} (bytes under cache/execblocks/snapshots after those runs; "
          f"bound EXECBLOCKS_SNAPSHOT_BYTES, 2 GB)")
    print("(load averages over 1, 5, 15 min at the end: " + ", ".join(f"{v:.1f}" for v in os.getloadavg())
          + f" on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        main(Path(scratch))
