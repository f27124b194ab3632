"""Validated settings: the site's (pelicanconf.py) and each block's (`#| key: value`).

Precedence is site > block for defaults: a block's `#| timeout:` overrides
EXECBLOCKS_TIMEOUT, and so on. Option names are Quarto's, so articles move between tools.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from execblocks.cache_folder import engine_cache
from execblocks.errors import ConfigError
from execkernel.policy import KernelPolicy
# Block options live in source/options.py; re-exported here, where settings are looked for.
from execblocks.source.options import BlockOptions, OptionError, validate_options  # noqa: F401

MODES = ("auto", "force", "strict", "off")
FIGURE_FORMATS = ("png", "svg")
# A Dask scheduler: tcp://host:8786, tls://..., ws://..., inproc://... (distributed's schemes).
EXECUTOR_ADDRESS = re.compile(r"^(tcp|tls|ws|wss|inproc|ucx)://[^\s/]+$")


@dataclass(frozen=True)
class EngineSettings:
    root: Path  # project root; dependency paths are recorded relative to it
    content_dir: Path
    results_dir: Path
    code_dirs: tuple[Path, ...]
    output_dir: Path
    mode: str = "auto"
    cache_dir: Path | None = None  # Pelican's CACHE_PATH (highlight and formula caches), when set
    timeout: int = 1800
    max_timeout: int = 6 * 3600  # the ceiling no block can raise its timeout past (execute/timeouts.py)
    max_output: int = 1_000_000  # bytes of text one block keeps; the rest is cut (execute/output_cap.py)
    kernel_name: str = "python3"
    workers: int = 0  # 0: one per CPU core
    environment_in_key: bool = False
    lock_timeout: float = 3600.0  # seconds a second build waits for the first
    figure_format: str = "png"  # how matplotlib figures are saved: png | svg
    dark_figures: bool = True  # save each figure a second time in the theme's dark colours
    max_figures: int = 50  # figures shown per block; the rest are dropped with a notice
    max_figure_pixels: int = 25_000_000  # a larger figure is not saved (a notice instead)
    block_defaults: tuple = ()  # (Quarto name, value) pairs from EXECBLOCKS_BLOCK_DEFAULTS
    executor: str = "local"  # "local" kernels, or a Dask scheduler's address ("tcp://host:8786")
    only: tuple[str, ...] = ()  # articles (path, id or slug) to rerun even when fresh: `invoke run`
    # The kernel's state after each block, kept so an edit resumes from the block before it
    # (execute/resume.py): where (None: not kept, no resuming), and at most how many bytes.
    snapshot_dir: Path | None = None
    snapshot_bytes: int = 2_000_000_000
    snapshot_every_block: bool = False  # else only where saving costs at most a tenth of rerunning (execkernel.snapshot)

    @property
    def engine_dir(self) -> Path:
        return Path(__file__).resolve().parent

    @property
    def kernel_dir(self) -> Path:
        """The kernel-side package (plugins/execkernel), beside the engine."""
        return self.engine_dir.with_name("execkernel")

    @property
    def kernel_policy(self) -> KernelPolicy:
        return KernelPolicy(figure_format=self.figure_format, dark_figures=self.dark_figures,
                            max_figures=self.max_figures, max_figure_pixels=self.max_figure_pixels,
                            max_output=self.max_output)

    @classmethod
    def from_pelican(cls, settings: dict[str, Any], mode: str | None = None) -> "EngineSettings":
        content = Path(settings["PATH"]).resolve()
        root = Path(settings.get("EXECBLOCKS_ROOT") or _guess_root(content)).resolve()
        mode = mode or settings.get("EXECBLOCKS_MODE", "auto")
        if mode not in MODES:
            raise ConfigError(f"EXECBLOCKS_MODE must be one of {', '.join(MODES)}, got {mode!r}")
        timeout = settings.get("EXECBLOCKS_TIMEOUT", 1800)
        if not isinstance(timeout, int) or timeout <= 0:
            raise ConfigError(f"EXECBLOCKS_TIMEOUT must be a positive int (seconds), got {timeout!r}")
        max_timeout = settings.get("EXECBLOCKS_MAX_TIMEOUT", 6 * 3600)
        if not isinstance(max_timeout, int) or isinstance(max_timeout, bool) or max_timeout <= 0:
            raise ConfigError(f"EXECBLOCKS_MAX_TIMEOUT must be a positive int (seconds), got {max_timeout!r}")
        max_output = settings.get("EXECBLOCKS_MAX_OUTPUT", 1_000_000)
        if not isinstance(max_output, int) or isinstance(max_output, bool) or max_output <= 0:
            raise ConfigError(f"EXECBLOCKS_MAX_OUTPUT must be a positive int (bytes), got {max_output!r}")
        workers = _workers(settings)
        figure_format = settings.get("EXECBLOCKS_FIGURE_FORMAT", "png")
        if figure_format not in FIGURE_FORMATS:
            raise ConfigError(f"EXECBLOCKS_FIGURE_FORMAT must be one of {', '.join(FIGURE_FORMATS)}, "
                              f"got {figure_format!r}")
        max_figures = settings.get("EXECBLOCKS_MAX_FIGURES", 50)
        max_pixels = settings.get("EXECBLOCKS_MAX_FIGURE_PIXELS", 25_000_000)
        for name, value in (("EXECBLOCKS_MAX_FIGURES", max_figures), ("EXECBLOCKS_MAX_FIGURE_PIXELS", max_pixels)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ConfigError(f"{name} must be a positive int, got {value!r}")
        defaults = settings.get("EXECBLOCKS_BLOCK_DEFAULTS", {})
        if not isinstance(defaults, dict):
            raise ConfigError(f"EXECBLOCKS_BLOCK_DEFAULTS must be a dict of block options, got {defaults!r}")
        try:
            validate_options(defaults)
        except OptionError as error:
            raise ConfigError(f"EXECBLOCKS_BLOCK_DEFAULTS: {error}") from None
        executor = checked_executor(settings.get("EXECBLOCKS_EXECUTOR", "local"))
        only = settings.get("EXECBLOCKS_ONLY", ())
        if isinstance(only, str) or not all(isinstance(name, str) for name in only):
            raise ConfigError(f"EXECBLOCKS_ONLY must be a list of article paths or slugs, got {only!r}")
        snapshot_bytes = settings.get("EXECBLOCKS_SNAPSHOT_BYTES", 2_000_000_000)
        if not isinstance(snapshot_bytes, int) or isinstance(snapshot_bytes, bool) or snapshot_bytes < 0:
            raise ConfigError(f"EXECBLOCKS_SNAPSHOT_BYTES must be an int >= 0 (bytes), got {snapshot_bytes!r}")
        snapshots = settings.get("EXECBLOCKS_SNAPSHOTS", True) and snapshot_bytes > 0
        code_dirs = settings.get("EXECBLOCKS_CODE_DIRS", ["code"])
        if not isinstance(code_dirs, (list, tuple)):
            raise ConfigError(f"EXECBLOCKS_CODE_DIRS must be a list of folders, got {code_dirs!r}")
        return cls(
            root=root,
            content_dir=content,
            results_dir=(root / settings.get("EXECBLOCKS_RESULTS_DIR", "results")).resolve(),
            code_dirs=tuple((root / d).resolve() for d in code_dirs),
            output_dir=Path(settings.get("OUTPUT_PATH", "output")).resolve(),
            mode=mode,
            # A relative CACHE_PATH is the project's, as render/highlight.py reads it.
            cache_dir=(root / settings["CACHE_PATH"]).resolve() if settings.get("CACHE_PATH") else None,
            timeout=timeout,
            max_timeout=max_timeout,
            max_output=max_output,
            kernel_name=settings.get("EXECBLOCKS_KERNEL", "python3"),
            workers=workers,
            environment_in_key=bool(settings.get("EXECBLOCKS_ENVIRONMENT_IN_KEY", False)),
            lock_timeout=float(settings.get("EXECBLOCKS_LOCK_TIMEOUT", 3600.0)),
            figure_format=figure_format,
            dark_figures=bool(settings.get("EXECBLOCKS_DARK_FIGURES", True)),
            max_figures=max_figures,
            max_figure_pixels=max_pixels,
            block_defaults=tuple(sorted(defaults.items())),
            executor=executor,
            only=tuple(only),
            snapshot_dir=engine_cache(root / settings.get("CACHE_PATH", "cache"), "snapshots").resolve()
            if snapshots else None,
            snapshot_bytes=snapshot_bytes,
            snapshot_every_block=bool(settings.get("EXECBLOCKS_SNAPSHOT_EVERY_BLOCK", False)),
        )


def checked_executor(value) -> str:
    """EXECBLOCKS_EXECUTOR / `--executor`: "local", or a Dask scheduler's address."""
    if not isinstance(value, str) or not (value == "local" or EXECUTOR_ADDRESS.match(value)):
        raise ConfigError(f"EXECBLOCKS_EXECUTOR must be 'local' or a Dask scheduler address such as "
                          f"tcp://host:8786, got {value!r}")
    return value


def _guess_root(content: Path) -> Path:
    """The project root is the content folder's parent (where pelicanconf.py lives)."""
    return content.parent


def _workers(settings: dict[str, Any]) -> int:
    """How many CPU kernels run side by side (0: one per core). The environment variable,
    when set, wins over pelicanconf.py: it is the per-run override (`EXECBLOCKS_WORKERS=1
    invoke build`), as Pelican's command line wins over its settings file."""
    if os.environ.get("EXECBLOCKS_WORKERS", "").strip():
        text, where = os.environ["EXECBLOCKS_WORKERS"].strip(), "the environment variable EXECBLOCKS_WORKERS"
        value = int(text) if text.isdigit() else text
    else:
        value, where = settings.get("EXECBLOCKS_WORKERS", 0), "EXECBLOCKS_WORKERS in the settings"
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{where} must be a whole number of kernels (0: one per CPU core), got {value!r}")
    return value
