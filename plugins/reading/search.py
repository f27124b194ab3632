"""The site's static search index, built by Pagefind (https://pagefind.app) once Pelican
has written every page, into `pagefind/` of the output: the theme's search page loads
Pagefind's UI from there and searches in the browser (no server, no CDN).

Pagefind comes from npm (`npm install` at the project root: package.json pins it); its
package ships the binary for each platform, so nothing is fetched when the site builds.
Where it is missing (no Node.js/npm on this machine) the site builds without an index,
says so once, and the search page says how to get one. `READING_SEARCH` in the settings
(the templates see it) is the command that builds the index, or "" without one.

Only what the theme marks `data-pagefind-body` (an article's or page's text) is indexed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

SETTING = "READING_SEARCH"
INDEX_FOLDER = "pagefind"  # in the output; the theme's search page loads Pagefind from there
# Page furniture inside an article's text, kept out of the index and its excerpts: heading
# permalinks ("#"), provenance lines ("2.1 s · cpu").
EXCLUDED = ".headerlink, .cell-provenance"
LOCAL_BIN = Path("node_modules") / ".bin" / "pagefind"
# npm installs the binary for this platform only (an optional dependency per platform):
# run it directly, so a build needs no Node.js (the .bin wrapper is a Node script).
PLATFORM_BINARIES = ("node_modules/@pagefind/*/bin/pagefind_extended", "node_modules/@pagefind/*/bin/pagefind")


class SearchIndexError(RuntimeError):
    """Pagefind ran and failed: the build stops, as for any other broken output."""


# The repository this plugin lives in (plugins/reading/ -> the root), whose package.json pins it.
HOME = Path(__file__).resolve().parents[2]


def find_pagefind(project: Path) -> str:
    """The site's own Pagefind (its node_modules), else this repository's, else one on PATH,
    else "". The platform's binary where npm installed it; the Node wrapper only with Node."""
    for root in (project, HOME):
        for pattern in PLATFORM_BINARIES:
            binary = next((b for b in sorted(root.glob(pattern)) if os.access(b, os.X_OK)), None)
            if binary is not None:
                return str(binary)
        if (root / LOCAL_BIN).is_file() and shutil.which("node"):
            return str(root / LOCAL_BIN)
    return shutil.which("pagefind") or ""


def configure(settings: dict) -> None:
    """At start-up: which Pagefind builds the index (said once when there is none)."""
    if SETTING in settings and settings[SETTING] is not None:
        return
    project = Path(settings.get("PATH") or "content").resolve().parent
    found = find_pagefind(project)
    settings[SETTING] = found
    if not found:
        # A note, not a warning: a site without search is still a correct site.
        print(f"reading: note: no search index: Pagefind is not installed (`npm install` in {project}, "
              "with Node.js, installs it); the site is built without search", file=sys.stderr, flush=True)


def build_index(output: Path, pagefind: str) -> None:
    """Index the written site in `output` (its pagefind/ folder is replaced: removed, then
    written whole. Pagefind leaves a file it would write with the same bytes untouched, and
    a build that sweeps out what it did not write, as execblocks' into the site before last
    does, then removed the index's fragments from every third build that changed nothing)."""
    shutil.rmtree(output / INDEX_FOLDER, ignore_errors=True)
    done = subprocess.run([pagefind, "--site", str(output), "--output-subdir", INDEX_FOLDER, "--quiet",
                           "--exclude-selectors", EXCLUDED], capture_output=True, text=True)
    if done.returncode != 0:
        raise SearchIndexError(f"reading: Pagefind ({pagefind}) could not index {output}: "
                               f"{(done.stderr or done.stdout).strip()}")
