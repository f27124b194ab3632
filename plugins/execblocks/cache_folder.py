"""Where the engine keeps what it can make again: one folder of its own under Pelican's
CACHE_PATH (never published, safe to delete), one subfolder per cache: pages as read,
compiled templates, kernel snapshots, highlighted code, rendered citations."""

from __future__ import annotations

from pathlib import Path

ENGINE_FOLDER = "execblocks"


def engine_cache(cache_dir: str | Path, name: str) -> Path:
    """The folder of the engine's cache `name` under the site's CACHE_PATH `cache_dir`."""
    return Path(cache_dir) / ENGINE_FOLDER / name
