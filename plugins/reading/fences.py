"""Fence lines as other tools write them, read as fences (Python-Markdown's fenced_code only
reads ```` ```lang ```` and ```` ```{.lang attrs} ````; any other text after the info
string makes the line prose, and its closing fence then opens a code block that swallows
the sections after it).

    ```python title="train.py"     -> ```{.python title="train.py"}   (a code block, with its attributes)
    ```python some words           -> ```python                        (the words are dropped)
    ```{margin} A note             -> ::: {.column-margin}             (MyST's margin / sidebar)
    ```{note} Title                -> ::: {.callout-note title="Title"} (MyST's admonitions)
    ```{other-directive} args      -> ```{.other-directive}            (shown as a code block)

A preprocessor between the engine's executable blocks (29, already stashed) and fenced_code
(25); lines inside a fence are never touched.
"""

from __future__ import annotations

import re

from markdown.preprocessors import Preprocessor

from .divs import parse_attributes

OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*?)[ \t]*$")
DIRECTIVE = re.compile(r"^\{(?P<name>[\w-]+)\}[ \t]*(?P<arg>.*)$")
LANG_REST = re.compile(r"^(?P<lang>[\w#.+-]+)[ \t]+(?P<rest>\S.*)$")
ASIDES = {"margin", "sidebar", "aside"}
# MyST / Sphinx admonitions -> Quarto's five callouts
ADMONITIONS = {"note": "note", "tip": "tip", "hint": "tip", "seealso": "note", "important": "important",
               "warning": "warning", "attention": "warning", "caution": "caution", "danger": "caution",
               "error": "caution", "admonition": "note"}


def _closing(lines: list[str], start: int, fence: str) -> int | None:
    closer = re.compile(rf"^ {{0,3}}{fence[0]}{{{len(fence)},}}[ \t]*$")
    return next((i for i in range(start + 1, len(lines)) if closer.match(lines[i])), None)


def normalise(lines: list[str]) -> list[str]:
    out, i = list(lines), 0
    while i < len(out):
        match = OPEN.match(out[i])
        if not match or not match["info"]:
            if match:  # a bare fence: skip to its end
                close = _closing(out, i, match["fence"])
                i = (close if close is not None else i) + 1
                continue
            i += 1
            continue
        close = _closing(out, i, match["fence"])
        if close is None:
            i += 1
            continue
        indent, fence, info = match["indent"], match["fence"], match["info"]
        directive = DIRECTIVE.match(info)
        plain = LANG_REST.match(info) if not info.startswith("{") else None
        if directive and directive["name"] in ASIDES:
            out[i], out[close] = f"{indent}::: {{.column-margin}}", f"{indent}:::"
            if directive["arg"]:
                out[i] += "\n" + f"{indent}**{directive['arg']}**"  # the title, first in the note
        elif directive and directive["name"] in ADMONITIONS:
            title = directive["arg"].replace('"', "'")
            attrs = f' title="{title}"' if title else ""
            out[i], out[close] = f"{indent}::: {{.callout-{ADMONITIONS[directive['name']]}{attrs}}}", f"{indent}:::"
        elif directive and directive["name"] != "python":
            out[i] = f"{indent}{fence}{{.{directive['name']}}}"
        elif plain:
            attrs = parse_attributes(plain["rest"])
            if attrs is not None and attrs.values and not attrs.classes and not attrs.id:
                out[i] = f"{indent}{fence}{{.{plain['lang']} {plain['rest']}}}"
            else:
                out[i] = f"{indent}{fence}{plain['lang']}"
        i = close + 1
    # An aside's title is a line of its own (the engine placed its blocks at 29 already:
    # nothing after this needs the file's line numbers).
    return [part for line in out for part in line.split("\n")] if any("\n" in l for l in out) else out


class FenceInfoPreprocessor(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        if not any(OPEN.match(line) for line in lines):
            return lines
        return normalise(lines)


def register(md) -> None:
    md.preprocessors.register(FenceInfoPreprocessor(md), "fence_info", 26)
