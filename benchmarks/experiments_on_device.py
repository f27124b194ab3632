"""Rerun one article's experiments through the engine, without building the site, and
print where they ran and how long each block took.

    python benchmarks/experiments_on_device.py [ARTICLE] [--copy-to DIR]

Meant for a machine with a GPU (`BLOG_DEVICE` and `BNLAB_PROFILE` pass through to the
kernel as in `invoke run`): it needs the engine's requirements but not Pelican's theme
tool chain (no Node.js for math), so it runs where only Python packages can be brought.
The stored results it writes are those of `invoke run ARTICLE`; `--copy-to` keeps a copy of
the article's record and provenance (inline values, per-block seconds) to compare.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("article", nargs="?", default="content/batchnorm.md")
    parser.add_argument("--copy-to", type=Path, help="folder for a copy of record.json and provenance.json")
    args = parser.parse_args()

    from execblocks import pipeline
    from execblocks.site import build as site
    from execblocks.config import EngineSettings

    settings = EngineSettings.from_pelican(
        site.read_settings(str(ROOT / "pelicanconf.py"), quiet_feeds=True, EXECBLOCKS_ONLY=[args.article]))
    started = time.perf_counter()
    report = pipeline.update(settings)
    wall = time.perf_counter() - started
    wanted = {a.article_id for a in pipeline.select([p.article for p in report.plans], [args.article])}
    plan = next(p for p in report.plans if p.article.article_id in wanted)
    folder = settings.results_dir / plan.article.article_id
    record = json.loads((folder / "record.json").read_text())
    provenance = json.loads((folder / "provenance.json").read_text())
    print(f"device {record['environment']['device']}; torch {record['environment']['versions'].get('torch')}")
    print(f"article ran in {provenance['duration_s']:.1f} s (update {wall:.1f} s wall)")
    print("block seconds:", ", ".join(f"{s:.2f}" for s in provenance["block_seconds"]))
    if args.copy_to:
        args.copy_to.mkdir(parents=True, exist_ok=True)
        for name in ("record.json", "provenance.json"):
            shutil.copy(folder / name, args.copy_to / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
