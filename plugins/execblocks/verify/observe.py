"""What a run showed, as comparable items: inline values, table cells, printed lines, figures.

The same reading serves the three kinds of notebook verify meets: the stored one (images
are file names in the entry), the engine's fresh one (images inline, base64), and a
reader's bundle run by plain `jupyter execute` (images inline; cells known by their ids
`block-N`, which the stored notebook gives them). Items are keyed by where they sit
(block, kind, position), so the two sides pair up whatever their order.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

BLOCK_ID = re.compile(r"^block-(\d+)$")
FIGURE_TYPES = ("image/png", "image/svg+xml")
DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Item:
    key: tuple  # ("inline", n) | ("cell", block, table, row, column) | ("line", block, n) | ("figure", block, n)
    kind: str  # value | verdict | cell | line | figure
    label: str  # what a person reads in the drift table
    text: str = ""  # text items; a figure's label
    block: int | None = None  # 1-based block number; None for inline values
    image: bytes | None = field(default=None, repr=False)
    image_mime: str = ""


def inline_items(values: list[str], labels: list[str]) -> list[Item]:
    """Inline `{python}` values: a value without a digit is a computed word (a verdict such
    as "above", "apart"), compared exactly and reported as flipped when it changes."""
    items = []
    for number, (value, label) in enumerate(zip(values, labels)):
        kind = "value" if DIGIT.search(value) or not value.strip() else "verdict"
        items.append(Item(("inline", number), kind, label, value))
    return items


def block_number(cell) -> int | None:
    """A notebook cell's 1-based block number (None: not one of the article's blocks)."""
    meta = cell.get("metadata", {}).get("execblocks", {})
    if isinstance(meta, dict) and isinstance(meta.get("block"), int):
        return meta["block"] + 1
    match = BLOCK_ID.match(str(cell.get("id", "")))
    return int(match[1]) if match else None


def notebook_items(notebook, files: Path | None = None) -> list[Item]:
    """Tables, printed lines and figures of every block. `files`: the stored entry's
    folder, where images named in the notebook are (None: images are inline)."""
    items: list[Item] = []
    for cell in notebook.get("cells", []):
        block = block_number(cell)
        if block is None or cell.get("cell_type") != "code":
            continue
        lines: list[str] = []
        tables = figures = 0
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream":
                if output.get("name") == "stdout":  # stderr carries warnings with paths, not results
                    lines += _printed_lines(_text(output.get("text", "")))
                continue
            if kind not in ("display_data", "execute_result"):
                continue
            data = output.get("data", {})
            mime = next((m for m in FIGURE_TYPES if m in data), None)
            if mime is not None:
                figures += 1
                label = f"block {block} figure {figures}"
                items.append(Item(("figure", block, figures), "figure", label, label, block,
                                  _image(output, mime, files), mime))
            elif "<table" in _text(data.get("text/html", "")):
                for table in parse_tables(_text(data["text/html"])):
                    tables += 1
                    items += _cells(table, block, tables)
            elif "text/plain" in data:
                lines += _printed_lines(_text(data["text/plain"]))
        for number, line in enumerate(lines, 1):
            items.append(Item(("line", block, number), "line", f"block {block} line {number}", line, block))
    return items


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _printed_lines(text: str) -> list[str]:
    """Lines as a terminal shows them: a progress bar redrawn with \\r keeps its last state."""
    return [line.rsplit("\r", 1)[-1].rstrip() for line in text.split("\n") if line.rsplit("\r", 1)[-1].strip()]


def _image(output, mime: str, files: Path | None) -> bytes:
    name = output.get("metadata", {}).get("execblocks", {}).get("files", {}).get(mime)
    if name and files is not None:
        return (files / name).read_bytes()
    value = _text(output["data"][mime])
    return base64.b64decode(value) if mime == "image/png" else value.encode()


def _cells(table: list[list[str]], block: int, number: int) -> list[Item]:
    """One item per cell, labelled by its row's first cell and its column's header."""
    header = table[0] if table else []
    items = []
    for r, row in enumerate(table):
        for c, text in enumerate(row):
            where = f"row {r + 1}" + (f" '{row[0]}'" if c and row[0] else "")
            column = f"col {c + 1}" + (f" '{header[c]}'" if r and c < len(header) and header[c] else "")
            items.append(Item(("cell", block, number, r, c), "cell", f"block {block} table {number} {where}, {column}",
                              text, block))
    return items


class _Tables(HTMLParser):
    """Rows of cell texts of every <table> (pandas' HTML, or any block's)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables and self.tables[-1]:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def parse_tables(html: str) -> list[list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    parser.close()
    return [[row for row in table if row] for table in parser.tables]
