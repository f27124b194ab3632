"""How much the engine adds to a Pelican build. Prints figures; asserts nothing.

    invoke bench            (or: python benchmarks/build_speed.py)

Measured, each as the median of a few runs of a fresh `python -m pelican` process:
  pelican alone        the same site with no plugin (blocks shown as plain code)
  nothing stale        execblocks loaded, every result fresh: no kernel, no torch
  one block, cold      one article with one trivial block executed (kernel start included)
  per trivial block    (time of 41 trivial blocks - time of 1) / 40, kernel start cancelled out
Targets: nothing stale within 0.3 s of Pelican alone; a trivial block under 10 ms.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def article(title: str, blocks: int) -> str:
    body = "\n".join(f"```{{python}}\nx{i} = {i}\n```\n" for i in range(blocks))
    return f"Title: {title}\nDate: 2026-01-01\n\nProse.\n\n{body}"


def make_site(root: Path, blocks_per_article: list[int], plugins: bool) -> Path:
    (root / "content").mkdir(parents=True, exist_ok=True)
    for n, blocks in enumerate(blocks_per_article):
        (root / "content" / f"a{n}.md").write_text(article(f"A{n}", blocks))
    conf = root / "conf.py"
    conf.write_text(textwrap.dedent(f"""\
        PATH = {str(root / 'content')!r}
        OUTPUT_PATH = {str(root / 'output')!r}
        PLUGIN_PATHS = [{str(REPO / 'plugins')!r}]
        PLUGINS = {['execblocks'] if plugins else []!r}
        THEME = "simple"
        EXECBLOCKS_ROOT = {str(root)!r}
        TIMEZONE = "UTC"
        FEED_ALL_ATOM = None
        CATEGORY_FEED_ATOM = None
        """))
    return conf


def pelican(conf: Path, mode: str = "auto") -> float:
    env = dict(os.environ, EXECBLOCKS_MODE=mode)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pelican", "-s", str(conf), "--fatal", "errors", "-q"],
                          env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(done.stdout + done.stderr)
    return elapsed


def median(conf: Path, mode: str) -> float:
    return statistics.median(pelican(conf, mode) for _ in range(RUNS))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        site = [3, 3, 3, 3, 3]
        plain = median(make_site(tmp / "plain", site, plugins=False), "off")
        conf = make_site(tmp / "engine", site, plugins=True)
        pelican(conf, "force")
        fresh = median(conf, "auto")
        one = median(make_site(tmp / "one", [1], plugins=True), "force")
        many = median(make_site(tmp / "many", [41], plugins=True), "force")
    per_block_ms = (many - one) / 40 * 1000
    print(f"pelican alone (5 articles)     {plain:6.2f} s")
    print(f"nothing stale (5 articles)     {fresh:6.2f} s   (+{fresh - plain:.2f} s over Pelican alone; target < 0.30)")
    print(f"one block, cold kernel         {one:6.2f} s")
    print(f"per trivial block              {per_block_ms:6.1f} ms  (target < 10)")


if __name__ == "__main__":
    main()
