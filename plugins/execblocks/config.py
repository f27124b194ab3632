"""Validated settings: the site's (pelicanconf.py) and each block's (`#| key: value`).

Precedence is site > block for defaults: a block's `#| timeout:` overrides
EXECBLOCKS_TIMEOUT, and so on. Option names are Quarto's, so articles move between tools.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError

MODES = ("auto", "force", "strict", "off")
FIGURE_FORMATS = ("png", "svg")

# Quarto option name -> (dataclass field, accepted type(s)).
BLOCK_OPTION_TYPES: dict[str, tuple[str, tuple[type, ...]]] = {
    "echo": ("echo", (bool,)),
    "output": ("output", (bool,)),
    "eval": ("eval", (bool,)),
    "error": ("error", (bool,)),
    "fig-cap": ("fig_cap", (str,)),
    "fig-alt": ("fig_alt", (str,)),
    "fig-width": ("fig_width", (int, float)),
    "fig-height": ("fig_height", (int, float)),
    "label": ("label", (str,)),
    "timeout": ("timeout", (int,)),
    "code-fold": ("code_fold", (bool,)),
    "column": ("column", (str,)),
    "depends": ("depends", (list,)),
}
COLUMNS = ("body", "page", "screen")


@dataclass(frozen=True)
class BlockOptions:
    echo: bool = True  # show the source
    output: bool = True  # show what the block printed/displayed
    eval: bool = True  # run it at all
    error: bool = False  # an exception is rendered instead of failing the build
    fig_cap: str | None = None
    fig_alt: str | None = None
    fig_width: float | None = None  # inches; None keeps matplotlib's default
    fig_height: float | None = None
    label: str | None = None  # anchor id for the block's figure or cell
    timeout: int | None = None  # seconds; None uses EXECBLOCKS_TIMEOUT
    code_fold: bool = False  # source folded into <details> (shown on demand)
    column: str = "body"  # body | page (wider than the text) | screen
    depends: tuple[str, ...] = ()  # files read in ways the audit hook cannot see

    def execution_fields(self) -> dict[str, Any]:
        """The options that change what running the block produces (part of the cache key).
        Not `timeout`: a run that finished within one limit gives the same outputs under
        another, and raising it after a timeout reruns anyway (failed articles always do).
        `depends` is in it so a newly declared file is recorded (and then watched)."""
        return {
            "eval": self.eval, "error": self.error,
            "fig_width": self.fig_width, "fig_height": self.fig_height,
            "depends": list(self.depends),
        }


class OptionError(ValueError):
    """One option's name or value is wrong; `key` says which, so the caller can locate it."""

    def __init__(self, key: str, message: str):
        self.key = key
        super().__init__(message)


def validate_options(raw: dict[str, Any]) -> dict[str, Any]:
    """Quarto-named options -> BlockOptions field values; OptionError on the first bad one."""
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in BLOCK_OPTION_TYPES:
            known = ", ".join(sorted(BLOCK_OPTION_TYPES))
            raise OptionError(name, f"unknown block option '{name}' (known options: {known})")
        attr, types = BLOCK_OPTION_TYPES[name]
        # YAML reads `true` as bool and `7` as int; bool is an int subclass, so check it first.
        if isinstance(value, bool) and bool not in types:
            raise OptionError(name, f"option '{name}' expects {types[0].__name__}, got {value!r}")
        if not isinstance(value, types):
            if str in types and value is not None:
                value = str(value)
            else:
                want = " or ".join(t.__name__ for t in types)
                raise OptionError(name, f"option '{name}' expects {want}, got {value!r}")
        if name == "column" and value not in COLUMNS:
            raise OptionError(name, f"option 'column' must be one of {', '.join(COLUMNS)}, got {value!r}")
        if name == "depends":
            value = tuple(str(v) for v in value)
        values[attr] = value
    return values


@dataclass(frozen=True)
class EngineSettings:
    root: Path  # project root; dependency paths are recorded relative to it
    content_dir: Path
    results_dir: Path
    code_dirs: tuple[Path, ...]
    output_dir: Path
    mode: str = "auto"
    timeout: int = 1800
    max_timeout: int = 6 * 3600  # the ceiling no block can raise its timeout past (limits.py)
    kernel_name: str = "python3"
    workers: int = 0  # 0: one per CPU core
    environment_in_key: bool = False
    lock_timeout: float = 3600.0  # seconds a second build waits for the first
    figure_format: str = "png"  # how matplotlib figures are saved: png | svg
    block_defaults: tuple = ()  # (Quarto name, value) pairs from EXECBLOCKS_BLOCK_DEFAULTS
    only: tuple[str, ...] = ()  # articles (path, id or slug) to rerun even when fresh: `invoke run`

    @property
    def engine_dir(self) -> Path:
        return Path(__file__).resolve().parent

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
        workers = int(os.environ.get("EXECBLOCKS_WORKERS", settings.get("EXECBLOCKS_WORKERS", 0)))
        figure_format = settings.get("EXECBLOCKS_FIGURE_FORMAT", "png")
        if figure_format not in FIGURE_FORMATS:
            raise ConfigError(f"EXECBLOCKS_FIGURE_FORMAT must be one of {', '.join(FIGURE_FORMATS)}, "
                              f"got {figure_format!r}")
        defaults = settings.get("EXECBLOCKS_BLOCK_DEFAULTS", {})
        if not isinstance(defaults, dict):
            raise ConfigError(f"EXECBLOCKS_BLOCK_DEFAULTS must be a dict of block options, got {defaults!r}")
        try:
            validate_options(defaults)
        except OptionError as error:
            raise ConfigError(f"EXECBLOCKS_BLOCK_DEFAULTS: {error}") from None
        only = settings.get("EXECBLOCKS_ONLY", ())
        if isinstance(only, str) or not all(isinstance(name, str) for name in only):
            raise ConfigError(f"EXECBLOCKS_ONLY must be a list of article paths or slugs, got {only!r}")
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
            timeout=timeout,
            max_timeout=max_timeout,
            kernel_name=settings.get("EXECBLOCKS_KERNEL", "python3"),
            workers=workers,
            environment_in_key=bool(settings.get("EXECBLOCKS_ENVIRONMENT_IN_KEY", False)),
            lock_timeout=float(settings.get("EXECBLOCKS_LOCK_TIMEOUT", 3600.0)),
            figure_format=figure_format,
            block_defaults=tuple(sorted(defaults.items())),
            only=tuple(only),
        )


def _guess_root(content: Path) -> Path:
    """The project root is the content folder's parent (where pelicanconf.py lives)."""
    return content.parent
