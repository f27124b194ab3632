"""execblocks: Markdown articles whose Python blocks run when the site is built.

A Pelican plugin (PLUGIN_PATHS convention). The folders are the pipeline's stages:

    source/      articles (.md .qmd .ipynb) -> Article: header, blocks, options, lines
    execute/     plan (keys, freshness), schedule, one Jupyter kernel per article; dask/
    store/       the committed results folder: records, entries, images
    render/      stored results -> HTML (blocks, MIME renderers, ANSI, highlight)
    references/  cross-references and citations
    site/        Pelican glue: reader, session, results generator, downloads, bundle
    pipeline.py  parse -> plan -> lock -> run -> store -> prune, once per Pelican run

What runs inside a kernel is the separate package `execkernel`, which imports nothing
from here. The public names below are what tasks.py and tests use.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path


def _load_kernel_package() -> None:
    """Make `execkernel` (a sibling folder) importable. Pelican loads a plugin from
    PLUGIN_PATHS by its spec without putting the folder on sys.path, so the sibling is
    loaded the same way, once; where the folder is on sys.path already, nothing is done."""
    if "execkernel" in sys.modules or importlib.util.find_spec("execkernel") is not None:
        return
    spec = importlib.machinery.PathFinder.find_spec("execkernel", [str(Path(__file__).resolve().parents[1])])
    module = importlib.util.module_from_spec(spec)
    sys.modules["execkernel"] = module
    spec.loader.exec_module(module)


_load_kernel_package()

from execblocks.config import BlockOptions, EngineSettings  # noqa: E402 (after the kernel package loads)
from execblocks.errors import (ArticleSyntaxError, BlockExecutionError, CorruptEntryError, ExecBlocksError,
                               StaleResultsError, StoreLockedError)
from execblocks.pipeline import BuildReport, check, status, update
from execblocks.site.session import BuildSession, session_of

__all__ = ["register", "update", "status", "check", "EngineSettings", "BlockOptions", "BuildReport",
           "BuildSession", "session_of", "ExecBlocksError", "ArticleSyntaxError", "BlockExecutionError",
           "StaleResultsError", "StoreLockedError", "CorruptEntryError"]


def register():
    from execblocks.site import pelican_signals, plain_errors

    plain_errors.install()  # Pelican's fatal errors as one line naming the file
    pelican_signals.connect()
