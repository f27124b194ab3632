"""CPU-seconds of the BatchNorm article's experiments, kernel CPU included.

    python benchmarks/bnlab_cost.py              # each experiment's profile in a child process
    python benchmarks/bnlab_cost.py --article    # `invoke run batchnorm`: the article as built

CPU time: for the experiments, resource.getrusage(RUSAGE_CHILDREN) around each child; for
--article, the child's and every descendant's CPU time (user + system, all cores), sampled
with psutil every 0.2 s, because the Jupyter kernel runs under a watchdog that reaps it, so
RUSAGE_CHILDREN never sees its time (it read 2.0 CPU-s for an 8-minute run). A process's
last 0.2 s can be missed: the figure is a slight underestimate.
Target: the `quick` profile (5 seeds) within 150 CPU-seconds on the 2-core build machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 150.0
EXPERIMENTS = ("scaling", "histograms", "ioffe", "sensitivity", "ics", "smoothness",
               "linear_chain", "placement")
CONFIGS = {"scaling": "ScalingConfig", "histograms": "HistConfig", "ioffe": "IoffeConfig",
           "sensitivity": "SensitivityConfig", "ics": "ICSConfig",
           "smoothness": "SmoothnessConfig", "linear_chain": "ChainConfig",
           "placement": "PlacementConfig"}


def cpu_of(cmd: list[str], env: dict) -> tuple[float, float, int]:
    """(CPU-seconds of the child and everything it waited for, wall seconds, exit code)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    rc = subprocess.run(cmd, cwd=ROOT, env=env).returncode
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, rc


def tree_cpu(cmd: list[str], env: dict, every: float = 0.2) -> tuple[float, float, int]:
    """(CPU-seconds of the child and all its descendants, wall seconds, exit code)."""
    import psutil

    seen: dict[tuple[int, float], float] = {}   # (pid, create time) -> latest CPU seconds
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    parent = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            procs = [parent] + parent.children(recursive=True)
        except psutil.NoSuchProcess:
            procs = []
        for p in procs:
            try:
                t = p.cpu_times()
                seen[(p.pid, p.create_time())] = t.user + t.system
            except psutil.NoSuchProcess:
                pass
        time.sleep(every)
    return sum(seen.values()), time.perf_counter() - start, proc.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--article", action="store_true", help="time `invoke run batchnorm`")
    ap.add_argument("--profile", default="quick")
    args = ap.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS="1", BNLAB_PROFILE=args.profile,
               BLOG_DEVICE=os.environ.get("BLOG_DEVICE", "cpu"))
    if args.article:
        invoke = str(Path(sys.executable).with_name("invoke"))
        cpu, wall, rc = tree_cpu([invoke, "run", "batchnorm"], env)
        print(f"article ({args.profile}): {cpu:.1f} CPU-s, {wall:.1f} s wall, exit {rc}"
              f"  (target <= {TARGET:.0f} CPU-s: {'met' if cpu <= TARGET else 'NOT met'})")
        return rc
    total = 0.0
    for name in EXPERIMENTS:
        code = (f"import sys; sys.path.insert(0, 'code'); import torch; torch.set_num_threads(1)\n"
                f"from bnlab import {name} as m\n"
                f"m.run(m.{CONFIGS[name]}.for_profile({args.profile!r}), 'cpu')")
        cpu, wall, rc = cpu_of([sys.executable, "-c", code], env)
        if rc:
            print(f"{name}: failed (exit {rc})")
            return rc
        total += cpu
        print(f"{name:13s} {cpu:6.1f} CPU-s  {wall:6.1f} s wall")
    print(f"{'total':13s} {total:6.1f} CPU-s  (experiments only; target <= {TARGET:.0f} "
          f"CPU-s for the article, kernel and figures included: run --article)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
