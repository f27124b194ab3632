"""The Dask executor's speed. Prints figures; asserts nothing.

    invoke bench            (or: python benchmarks/dask_speed.py)

Measured with real dask.distributed LocalClusters (worker processes, one thread each),
started before the clock runs; each figure is the median of BENCH_RUNS forced builds of
the engine's execute stage (parse, plan, run, store; no Pelican rendering):

  speed-up        4 CPU-bound articles (pure-Python loops, about CPU_SECONDS each) on a
                  2-worker cluster vs a 1-worker cluster. Target >= 1.7x on 2 free cores.
  overhead        per article, a 1-worker cluster vs the local pool with one kernel at a
                  time, on trivial one-block articles (kernel start on both sides, so the
                  difference is shipping, scheduling and the answer). Target <= 1.5 s.

The machine's load average is printed beside them: other processes on the same cores
lower the speed-up, which cannot beat the number of cores actually free.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
CPU_SECONDS = float(os.environ.get("BENCH_CPU_SECONDS", "4"))
ARTICLES = 4


def busy_article(n: int, loops: int) -> str:
    return (f"Title: Busy {n}\nDate: 2026-01-01\n\n```{{python}}\n"
            f"total = 0\nfor i in range({loops}):\n    total += i * i % 7\nprint(total)\n```\n")


def trivial_article(n: int) -> str:
    return f"Title: Trivial {n}\nDate: 2026-01-01\n\n```{{python}}\nx = {n}\n```\n"


def loops_for(seconds: float) -> int:
    """How many iterations of the busy loop take `seconds` of CPU in this interpreter."""
    probe = 2_000_000
    start = time.process_time()
    total = 0
    for i in range(probe):
        total += i * i % 7
    return int(probe * seconds / max(time.process_time() - start, 1e-6))


def make_project(root: Path, articles: list[str]) -> Path:
    (root / "content").mkdir(parents=True)
    for n, text in enumerate(articles):
        (root / "content" / f"a{n}.md").write_text(text)
    return root


def engine_settings(root: Path, **overrides):
    from pelican.settings import read_settings

    from execblocks import EngineSettings

    values = {"PATH": str(root / "content"), "OUTPUT_PATH": str(root / "output"), "EXECBLOCKS_ROOT": str(root),
              "EXECBLOCKS_MODE": "force", "TIMEZONE": "UTC"}
    values.update(overrides)
    return EngineSettings.from_pelican(read_settings(None, override=values))


def timed_update(settings) -> float:
    from execblocks import update
    from execblocks.execute.progress import Progress

    start = time.perf_counter()
    update(settings, Progress(stream=io.StringIO(), forward_output=False))
    return time.perf_counter() - start


def interleaved(settings: dict) -> dict:
    """Median build time per named setting, the settings taking turns (run 1 of each, then
    run 2 of each, ...), so a change in the machine's load hits all of them alike."""
    times = {name: [] for name in settings}
    for _ in range(RUNS):
        for name, one in settings.items():
            times[name].append(timed_update(one))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    from distributed import LocalCluster

    load_before = os.getloadavg()
    loops = loops_for(CPU_SECONDS)
    with tempfile.TemporaryDirectory() as tmp, \
            LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as one, \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as two:
        tmp = Path(tmp)
        busy = make_project(tmp / "busy", [busy_article(n, loops) for n in range(ARTICLES)])
        trivial = make_project(tmp / "trivial", [trivial_article(n) for n in range(ARTICLES)])
        for warm in (engine_settings(trivial, EXECBLOCKS_WORKERS=1),
                     engine_settings(trivial, EXECBLOCKS_EXECUTOR=one.scheduler_address),
                     engine_settings(trivial, EXECBLOCKS_EXECUTOR=two.scheduler_address)):
            timed_update(warm)  # workers unpack the engine, the OS caches the imports
        times = interleaved({
            "busy-1": engine_settings(busy, EXECBLOCKS_EXECUTOR=one.scheduler_address),
            "busy-2": engine_settings(busy, EXECBLOCKS_EXECUTOR=two.scheduler_address),
        })
        times.update(interleaved({
            "trivial-local": engine_settings(trivial, EXECBLOCKS_WORKERS=1),
            "trivial-dask": engine_settings(trivial, EXECBLOCKS_EXECUTOR=one.scheduler_address),
        }))
    load_after = os.getloadavg()
    speedup = times["busy-1"] / times["busy-2"]
    overhead = (times["trivial-dask"] - times["trivial-local"]) / ARTICLES
    print(f"{ARTICLES} CPU-bound articles (~{CPU_SECONDS:.0f} CPU-s each), 1 Dask worker   {times['busy-1']:6.2f} s")
    print(f"{ARTICLES} CPU-bound articles, 2 Dask workers                  {times['busy-2']:6.2f} s")
    print(f"speed-up, 2 workers vs 1                             {speedup:6.2f}x  (target >= 1.7 on 2 free cores)")
    print(f"{ARTICLES} trivial articles, local pool (1 kernel at a time)   {times['trivial-local']:6.2f} s")
    print(f"{ARTICLES} trivial articles, 1 Dask worker                     {times['trivial-dask']:6.2f} s")
    print(f"Dask overhead per article vs the local pool          {overhead:6.2f} s   (target <= 1.5)")
    print(f"cores: {os.cpu_count()}; load average before {load_before[0]:.1f}, after {load_after[0]:.1f} "
          f"(1 min); median of {RUNS} runs")


if __name__ == "__main__":
    main()
