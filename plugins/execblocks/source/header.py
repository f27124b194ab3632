"""An article's header, read once: YAML front matter (Quarto's and Jekyll's `---` header) or
Pelican's `Key: value` lines -> a typed `Header`; from it, execution options and Pelican metadata.

`read_header` is the one reader: parsing, the metadata preflight, citations and the Pelican
reader all use the `Header` it returns (carried on the `Article`).

Why not the pelican-yaml-metadata plugin (PyPI, 2.2.0): it logs and carries on with empty
metadata on a bad header (here a bad header stops the build at its line), knows none of
Quarto's keys or execution options, and would be a second Markdown reader to reconcile with
this one. Instead the YAML becomes the `{key: [text]}` that Python-Markdown's meta extension
gives, and Pelican's own metadata processing does the rest.

An article may start with a `---` ... `---` YAML header instead of Pelican's `Key: value`
lines. Its document-level execution options (top-level `echo: false`, an `execute:` mapping,
`format: html:` options such as `code-fold`) apply to every block; its Quarto metadata
(`categories`, `description`, `draft`, ...) becomes Pelican's (Category, Tags, Summary,
Status). Keys that only steer Quarto's own output (`format`, `jupyter`, `editor`, ...) are
accepted and ignored.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from execblocks.errors import ArticleSyntaxError
from execblocks.source.options import BLOCK_OPTIONS, IGNORED_OPTIONS, OptionError, YamlError, ignored_notes, is_option, load_yaml, \
    unknown_option_message, validate_options

DELIMITER = re.compile(r"^---\s*$")
CLOSER = re.compile(r"^(?:---|\.\.\.)\s*$")
# Quarto's `execute:` keys that are not block options: `enabled: false` is `eval: false`
# for the whole document; the others concern Quarto's kernel handling and are ignored.
EXECUTE_ONLY = {"enabled": "eval"}
EXECUTE_IGNORED = {"daemon", "daemon-restart", "debug", "kernel", "ipynb", "keep-ipynb", "ipynb-filters"}
# Front-matter keys that only steer Quarto's own rendering: accepted, not Pelican metadata.
QUARTO_ONLY = {
    "format", "jupyter", "engine", "editor", "editor_options", "knitr", "filters", "toc", "toc-depth",
    "toc-title", "toc-location", "number-sections", "number-depth", "highlight-style", "theme", "css",
    "embed-resources", "self-contained", "code-tools", "code-copy", "code-overflow", "page-layout",
    "title-block-banner", "execute-dir", "keep-ipynb", "keep-md", "output-file", "df-print",
    "html-math-method", "mainfont", "fontsize", "linestretch", "documentclass", "pdf-engine",
    "kernelspec", "jupytext", "smooth-scroll", "anchor-sections", "fig-responsive",
}
# `date:` values Quarto computes; here they are the file's modification date.
COMPUTED_DATES = ("today", "now", "last-modified")


@dataclass(frozen=True)
class FrontMatter:
    data: dict[str, Any]
    first_line: int  # 0-based index of the opening `---`
    last_line: int  # 0-based index of the closing `---` / `...`
    lines: tuple[str, ...] = field(repr=False, default=())  # the YAML text's lines

    def line_of(self, key: str) -> int:
        """1-based file line where `key:` is written (the header's first line if not found);
        the last such line when the key is repeated, as PyYAML keeps the last value."""
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*:")
        found = [number for number, line in enumerate(self.lines) if pattern.match(line)]
        return self.first_line + 2 + found[-1] if found else self.first_line + 1


# Pelican's header line: `Key: value`, up to the first blank line.
METADATA_LINE = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9_-]*):\s*(?P<value>.*)$")


@dataclass(frozen=True)
class Header:
    """The header of an article. `fields`' keys are lowercased; a YAML header's values are
    typed (YAML 1.2), a Pelican header's are the text after `Key:`."""

    fields: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # key -> 1-based line of the file
    end: int = 0  # how many of the file's lines the header takes (the body starts there)
    front: FrontMatter | None = None  # the YAML header, when it is one
    names: dict[str, str] = field(default_factory=dict)  # key -> the key as written (`Execute-Echo`)

    @property
    def title(self) -> str | None:
        value = self.fields.get("title")
        return None if value is None else str(value).strip() or None

    def text(self, key: str) -> str | None:
        value = self.fields.get(key)
        return None if value is None else str(value)

    def line_of(self, key: str) -> int:
        """1-based line of `key` (the header's first line when it is not there)."""
        return self.lines.get(key.lower(), 1)


def read_header(lines: list[str], rel_path: str) -> Header:
    """The article's header: YAML front matter when the first line is `---`, else Pelican's
    `Key: value` lines up to the first blank line (which may be none)."""
    front = find_front_matter(lines, rel_path)
    if front is not None:
        fields = {key.lower(): value for key, value in front.data.items()}
        return Header(fields, {key.lower(): front.line_of(key) for key in front.data}, front.last_line + 1, front,
                      {key.lower(): key for key in front.data})
    fields, where, names = {}, {}, {}
    for number, line in enumerate(lines):
        match = METADATA_LINE.match(line) if line.strip() else None
        if match is None:
            return Header(fields, where, number, names=names)
        key = match["key"].lower()
        fields[key], where[key], names[key] = match["value"].strip(), number + 1, match["key"]
    return Header(fields, where, len(lines), names=names)


def find_front_matter(lines: list[str], rel_path: str) -> FrontMatter | None:
    """The YAML header, when the file's first line is `---` and a mapping follows."""
    if not lines or not DELIMITER.match(lines[0]):
        return None
    close = next((i for i in range(1, len(lines)) if CLOSER.match(lines[i])), None)
    if close is None:
        raise ArticleSyntaxError(rel_path, 1, "the YAML header opened by '---' is never closed",
                                 "End it with a line '---'.")
    yaml_lines = lines[1:close]
    try:
        data = load_yaml("\n".join(yaml_lines))
    except YamlError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ArticleSyntaxError(rel_path, 2 + (mark.line if mark else 0),
                                 f"the YAML header is not valid YAML: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ArticleSyntaxError(rel_path, 2, "the YAML header must be a mapping of `key: value` lines")
    return FrontMatter({str(k): v for k, v in data.items()}, 0, close, tuple(yaml_lines))


def blank_front_matter(lines: list[str], front: FrontMatter | None) -> list[str]:
    """The lines with the header replaced by blank lines: Markdown never sees it, and every
    other line keeps its number."""
    if front is None:
        return lines
    return [""] * (front.last_line + 1) + lines[front.last_line + 1:]


def execution_options(front: FrontMatter, rel_path: str) -> tuple[dict[str, Any], list[str]]:
    """Document-level block options (Quarto names) and notes about ignored ones.
    Precedence inside the header: `format: html:` < top level < `execute:`."""
    found: dict[str, Any] = {}
    notes: list[str] = []
    html = (front.data.get("format") or {}) if isinstance(front.data.get("format"), dict) else {}
    html = html.get("html") if isinstance(html.get("html"), dict) else {}
    layers = [
        ("format: html:", {k: v for k, v in html.items() if is_option(k)}, False),
        ("header", {k: v for k, v in front.data.items() if is_option(k) and k != "label"}, False),
        ("execute:", front.data.get("execute", {}), True),
    ]
    for where, options, strict in layers:
        if not isinstance(options, dict):
            raise ArticleSyntaxError(rel_path, front.line_of("execute"),
                                     f"'execute:' must be a mapping of options, got {options!r}")
        options = dict(options)
        for key, option in EXECUTE_ONLY.items():
            if strict and key in options:
                options[option] = options.pop(key)
        for key in list(options):
            if strict and key in EXECUTE_IGNORED:
                options.pop(key)
            elif strict and not is_option(key):
                raise ArticleSyntaxError(rel_path, front.line_of(key), unknown_option_message(key, "execute option"))
        try:
            validate_options(options)
        except OptionError as error:
            raise ArticleSyntaxError(rel_path, front.line_of(error.key), f"{where} {error}") from None
        notes += [f"{rel_path}:{front.line_of(note.split(chr(39))[1])}: {note}" for note in ignored_notes(options)]
        if "output" in options:
            found.pop("results", None)
        if "results" in options:
            found.pop("output", None)
        found.update({k: v for k, v in options.items() if k not in IGNORED_OPTIONS})
    return found, notes


def pelican_metadata(front: FrontMatter, modified: dt.datetime | None = None) -> dict[str, list[str]]:
    """The header as Python-Markdown's meta extension would give it ({key: [text]}), with
    Quarto's names mapped to Pelican's, so Pelican's own metadata processing applies."""
    meta: dict[str, list[str]] = {}
    tags: list[str] = []
    for key, value in front.data.items():
        name = key.lower()
        if value is None or name in QUARTO_ONLY or name == "execute" or name in BLOCK_OPTIONS \
                or name in IGNORED_OPTIONS:
            continue
        if name in ("categories", "category"):
            values = _names(value)
            if values:
                meta["category"] = [values[0]]
                tags += values[1:]
        elif name in ("tags", "keywords"):
            tags += _names(value)
        elif name == "description":
            meta.setdefault("summary", [str(value)])
        elif name == "draft":
            if value is True:
                meta["status"] = ["draft"]
        elif name in ("author", "authors"):
            names = _names(value)
            if len(names) == 1:
                meta["author"] = names
            elif names:
                meta["authors"] = ["; ".join(names)]
        elif name in ("date", "modified", "date-modified"):
            target = "modified" if name != "date" else "date"
            if isinstance(value, str) and value in COMPUTED_DATES:
                if modified is None:
                    continue
                value = modified
            meta[target] = [value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)]
        elif isinstance(value, list):
            meta[name] = [", ".join(str(v) for v in value)]
        else:
            meta[name] = [str(value)]
    if tags:
        meta["tags"] = [", ".join(dict.fromkeys(tags))]
    if "date" not in meta and modified is not None:
        # Quarto needs no date; Pelican skips an article without one. The file's date stands in.
        meta["date"] = [modified.isoformat()]
    return meta


def _names(value: Any) -> list[str]:
    """Quarto lets authors and categories be a string, a list, or mappings with a `name`."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("name")
            if isinstance(item, dict):  # author: {name: {given:, family:}}
                item = " ".join(str(item[k]) for k in ("given", "family") if k in item)
        if item is not None and str(item).strip():
            names.append(str(item).strip())
    return names
