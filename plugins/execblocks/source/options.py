"""Block options: Quarto's names and meanings, validated once.

A block's `#| key: value` lines, an article's header (`Execute-<option>:` lines or YAML
front matter) and the site's EXECBLOCKS_BLOCK_DEFAULTS all go through `validate_options`,
so a bad value reads the same wherever it was written.

Values are read as YAML 1.2 reads them (as Quarto does): `true`/`false` are booleans,
`yes`/`no` are strings, so `echo: no` is an error that says to write `false`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, fields
from typing import Any, Callable


COLUMNS = ("body", "page", "screen")
BLOCK_FIGURE_FORMATS = ("png", "svg", "retina")  # retina: Quarto's name for a 2x PNG, what png is here
FIG_ALIGNS = ("default", "left", "center", "right")
# knitr's `results:` values, as the `output:` value Quarto gives each.
RESULTS_TO_OUTPUT = {"markup": True, "hold": True, "asis": "asis", "hide": False}
# Accepted so Quarto articles build unchanged; they change nothing here, and say so.
IGNORED_OPTIONS = {
    "cache": "results are always stored (results/) and rerun only when their inputs change",
    "freeze": "results are always frozen in results/ and rerun only when their inputs change",
}
# An HTML id a label can become (`fig-x`, `cell-x`): a letter, then letters, digits, - _ . :
HTML_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]*$")


@dataclass(frozen=True)
class BlockOptions:
    include: bool = True  # false: run, show nothing at all
    echo: bool | str = True  # false hides the code; "fenced" shows it with its fence and #| lines
    output: bool | str = True  # false hides outputs; "asis": printed text is Markdown
    warning: bool = True  # false hides warnings
    message: bool = True  # false hides other stderr output (logging, progress bars)
    eval: bool = True  # run it at all
    error: bool = False  # an exception is rendered instead of failing the build
    code_fold: bool | str = False  # true: folded; "show": folded but open
    code_summary: str = "Code"  # the fold's summary text (Quarto's default)
    code_line_numbers: bool = False
    fig_cap: str | tuple[str, ...] | None = None  # a list gives one caption per figure
    fig_alt: str | tuple[str, ...] | None = None  # a list gives one alt text per figure
    fig_width: float | None = None  # inches; None keeps matplotlib's default
    fig_height: float | None = None
    label: str | None = None  # anchor id for the block's figure or cell
    timeout: int | None = None  # seconds; None uses EXECBLOCKS_TIMEOUT
    column: str = "body"  # body | page (wider than the text) | screen
    depends: tuple[str, ...] = ()  # files read in ways the audit hook cannot see
    tbl_cap: str | None = None  # caption of the block's first table: a numbered "Table n." (i10x)
    interactive: bool = False  # Vega-Lite/Vega charts drawn in the browser (else their fallback) (i10x)
    fig_subcap: tuple[str, ...] | None = None  # the block's figures as sub-figures (a), (b)...
    layout_ncol: int | None = None  # the block's figures side by side in this many columns
    fig_format: str | None = None  # png | svg | retina; None keeps EXECBLOCKS_FIGURE_FORMAT
    fig_dpi: float | None = None  # pixels per inch of saved PNGs; None keeps 192 (2x the page's 96)
    fig_align: str = "default"  # left | center | right (default: centred)

    def execution_fields(self) -> dict[str, Any]:
        """The options that change what running the block produces (part of the cache key).
        Everything else only changes how stored results are shown. Not `timeout`: a run that
        finished within one limit gives the same outputs under another, and raising it after
        a timeout reruns anyway (failed articles always do). `depends` is in it so a newly
        declared file is recorded (and then watched)."""
        fields = {
            "eval": self.eval, "error": self.error,
            "fig_width": self.fig_width, "fig_height": self.fig_height,
            "depends": list(self.depends),
        }
        # Only when set, so results stored before these options existed stay fresh.
        fields.update({k: v for k, v in (("fig_format", self.figure_format),
                                         ("fig_dpi", self.fig_dpi)) if v is not None})
        return fields

    @property
    def figure_format(self) -> str | None:
        """How the kernel saves this block's figures: "png", "svg" or None (the site's)."""
        return "png" if self.fig_format == "retina" else self.fig_format

    def figure_caption(self, number: int) -> str | None:
        """The caption of the block's `number`-th figure (0-based): a string captions
        each figure, a list one per figure (Quarto's fig-cap)."""
        return _nth(self.fig_cap, number)

    def figure_alt(self, number: int) -> str | None:
        """The alt text of the block's `number`-th figure, as figure_caption."""
        return _nth(self.fig_alt, number)


def _nth(value: str | tuple[str, ...] | None, number: int) -> str | None:
    if isinstance(value, tuple):
        return value[number] if number < len(value) else None
    return value


class OptionError(ValueError):
    """One option's name or value is wrong; `key` says which, so the caller can locate it."""

    def __init__(self, key: str, message: str):
        self.key = key
        super().__init__(message)


# --- value checks: each takes (name, value) and returns the field's value or raises ---------

def _describe(value: Any) -> str:
    if isinstance(value, str) and value.lower() in ("yes", "no", "on", "off"):
        return f"{value!r} (write true or false: YAML 1.2, as Quarto reads options, has no yes/no)"
    return repr(value)


def _boolean(*words: str) -> Callable[[str, Any], Any]:
    allowed = ["true", "false", *words]

    def check(name: str, value: Any) -> Any:
        if isinstance(value, bool) or value in words:
            return value
        raise OptionError(name, f"option '{name}' expects {', '.join(allowed[:-1])} or {allowed[-1]}, "
                                f"got {_describe(value)}")
    return check


def _text(name: str, value: Any) -> str:
    if value is None or isinstance(value, (bool, list, dict)):
        raise OptionError(name, f"option '{name}' expects a string, got {value!r}")
    return str(value)


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise OptionError(name, f"option '{name}' expects a positive number (inches), got {value!r}")
    return value


def _int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise OptionError(name, f"option '{name}' expects int, got {value!r}")
    return value


def _choice(*choices: str) -> Callable[[str, Any], str]:
    def check(name: str, value: Any) -> str:
        if value not in choices:
            raise OptionError(name, f"option '{name}' must be one of {', '.join(choices)}, got {value!r}")
        return value
    return check


def _label(name: str, value: Any) -> str:
    value = _text(name, value)
    if not HTML_ID.match(value):
        raise OptionError(name, f"option 'label' must be usable as an HTML id (a letter, then letters, "
                                f"digits, '-', '_', '.' or ':'; no spaces), got {value!r}")
    return value


def _files(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise OptionError(name, f"option '{name}' expects a list of file paths, got {value!r}")
    return tuple(value)


def _results(name: str, value: Any) -> Any:
    if value not in RESULTS_TO_OUTPUT:
        raise OptionError(name, f"option 'results' (knitr's) must be one of {', '.join(RESULTS_TO_OUTPUT)}, "
                                f"got {value!r}")
    return RESULTS_TO_OUTPUT[value]


def _captions(name: str, value: Any) -> str | tuple[str, ...]:
    """fig-cap: a string (every figure) or a list (one per figure); fig-subcap: a list."""
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in items):
        raise OptionError(name, f"option '{name}' expects a string or a list of strings, got {value!r}")
    return tuple(str(v) for v in items) if isinstance(value, list) or name == "fig-subcap" else str(value)


def _between(low: float, high: float, what: str, whole: bool = False) -> Callable[[str, Any], Any]:
    def check(name: str, value: Any) -> Any:
        kinds = (int,) if whole else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
            raise OptionError(name, f"option '{name}' must be between {low:g} and {high:g} {what}, got {value!r}")
        return value
    return check


# Quarto option name -> (BlockOptions field, check).
BLOCK_OPTIONS: dict[str, tuple[str, Callable[[str, Any], Any]]] = {
    "include": ("include", _boolean()),
    "echo": ("echo", _boolean("fenced")),
    "output": ("output", _boolean("asis")),
    "results": ("output", _results),
    "warning": ("warning", _boolean()),
    "message": ("message", _boolean()),
    "eval": ("eval", _boolean()),
    "error": ("error", _boolean()),
    "code-fold": ("code_fold", _boolean("show")),
    "code-summary": ("code_summary", _text),
    "code-line-numbers": ("code_line_numbers", _boolean()),
    "fig-cap": ("fig_cap", _captions),
    "fig-alt": ("fig_alt", _captions),
    "fig-width": ("fig_width", _number),
    "fig-height": ("fig_height", _number),
    "label": ("label", _label),
    "timeout": ("timeout", _int),
    "column": ("column", _choice(*COLUMNS)),
    "depends": ("depends", _files),
    "tbl-cap": ("tbl_cap", _text),
    "interactive": ("interactive", _boolean()),
    # Figures (fig): sub-figures in a grid, per-block format, resolution and alignment.
    "fig-subcap": ("fig_subcap", _captions),
    "layout-ncol": ("layout_ncol", _between(1, 12, "columns", whole=True)),
    "fig-format": ("fig_format", _choice(*BLOCK_FIGURE_FORMATS)),
    "fig-dpi": ("fig_dpi", _between(10, 1200, "pixels per inch")),
    "fig-align": ("fig_align", _choice(*FIG_ALIGNS)),
}
assert {attr for attr, _ in BLOCK_OPTIONS.values()} == {f.name for f in fields(BlockOptions)}


def is_option(name: str) -> bool:
    return name in BLOCK_OPTIONS or name in IGNORED_OPTIONS


def unknown_option_message(name: str, where: str = "block option") -> str:
    known = sorted([*BLOCK_OPTIONS, *IGNORED_OPTIONS])
    import difflib  # only for a misspelt option

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown {where} '{name}'{hint} (known options: {', '.join(known)})"


def validate_options(raw: dict[str, Any]) -> dict[str, Any]:
    """Quarto-named options -> BlockOptions field values; OptionError on the first bad one.
    Ignored options (cache, freeze) are dropped: `ignored_notes` says so to the author."""
    if "output" in raw and "results" in raw:
        raise OptionError("results", "options 'output' and 'results' say the same thing: keep one "
                                     "('results' is knitr's name, 'output' Quarto's)")
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name in IGNORED_OPTIONS:
            continue
        if name not in BLOCK_OPTIONS:
            raise OptionError(name, unknown_option_message(name))
        attr, check = BLOCK_OPTIONS[name]
        values[attr] = check(name, value)
    return values


def ignored_notes(raw: dict[str, Any]) -> list[str]:
    return [f"'{name}' is accepted and ignored: {why}" for name, why in IGNORED_OPTIONS.items() if name in raw]


class YamlError(ValueError):
    """YAML that does not parse: PyYAML's message; `problem_mark.line` is 0-based (or None)."""

    def __init__(self, message: str, problem_mark=None):
        super().__init__(message)
        self.problem_mark = problem_mark


def load_yaml(text: str) -> Any:
    """YAML as Quarto reads it (1.2 booleans), by PyYAML's C loader (libyaml) where it is
    built, else its Python one: the same values either way (tests/unit/test_yaml_loader.py).
    Raises YamlError."""
    import yaml

    from execblocks.source.yamlbound import YamlBoundError, load_bounded

    try:
        return load_bounded(text, yaml12_loader())  # an alias bomb is refused before it expands
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        if mark is not None and mark.line > text.count("\n"):
            # libyaml puts an error at the end of the text on the line after it, which no
            # file has: the last line, as the Python loader says.
            mark = yaml.Mark(mark.name, mark.index, text.count("\n"), mark.column, None, None)
        raise YamlError(str(error), mark) from None
    except YamlBoundError as error:
        raise YamlError(str(error), error.problem_mark) from None
    except ValueError as error:  # PyYAML's own constructors fail on some scalars ("0b_")
        raise YamlError(f"{text.strip()!r} cannot be read: {error}") from None


@functools.cache
def yaml12_loader(prefer_c: bool = True):
    """PyYAML's safe loader (the C one when `prefer_c` and libyaml is there) with YAML 1.2's
    core-schema booleans. PyYAML reads YAML 1.1, where `no`, `on`, `y` are booleans; Quarto
    reads 1.2, where only true/false are: options must mean the same in both tools, and
    `echo: no` stays the string that validate_options refuses with the fix."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader) if prefer_c else yaml.SafeLoader

    class Yaml12Loader(base):
        pass

    # The resolver is Python in both loaders (CSafeLoader = CParser + SafeConstructor +
    # Resolver), so one table serves both.
    Yaml12Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:bool",
                                       re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
    return Yaml12Loader
