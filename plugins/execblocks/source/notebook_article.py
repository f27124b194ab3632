"""Jupyter notebooks as articles: a `.ipynb` in content/ becomes the same Markdown text a
`.md` article would be (code cells as ```` ```{python} ```` blocks, Markdown cells as
prose), so parsing, planning, running and rendering are the Markdown article's own.

Metadata, the first of these that the notebook has:
1. a first cell (raw or Markdown) holding a `---` YAML front matter (Quarto's convention);
2. a first Markdown cell whose first lines are Pelican `Key: value` lines (with `Title:`);
3. a `pelican` mapping in the notebook's metadata.

The outputs saved in the notebook are not used: its code cells run at build time, like
any article's blocks, and their results are stored in results/.

Line numbers: a notebook written by Jupyter puts each source line on a line of its own
in the file, so messages name the `.ipynb` file's own line of the code or option at fault.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from execblocks.errors import ArticleSyntaxError
from execblocks.source.header import DELIMITER, Header

PELICAN_HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*:\s*\S")
SOURCE_KEY = re.compile(r'^(?P<indent>\s*)"source":')


@dataclass(frozen=True)
class NotebookText:
    text: str  # the notebook as a Markdown article
    file_lines: tuple[int, ...]  # for each line of `text`, the 1-based line of the .ipynb it came from


def notebook_text(raw: str, rel_path: str) -> NotebookText:
    import nbformat  # here, not at module level: it pulls in jsonschema (~100 ms) and only notebooks need it

    try:
        nb = nbformat.reads(raw, as_version=4)
    except Exception as exc:  # nbformat raises several kinds for a malformed file
        raise ArticleSyntaxError(rel_path, 1, f"not a readable Jupyter notebook: {exc}") from None
    language = (nb.metadata.get("kernelspec", {}).get("language")
                or nb.metadata.get("language_info", {}).get("name") or "python")
    if language.lower() != "python":
        raise ArticleSyntaxError(rel_path, 1, f"the notebook's language is {language!r}; only Python "
                                              "notebooks run here")
    where = _source_lines(raw, nb)
    out: list[str] = []
    origin: list[int] = []

    def emit(line: str, file_line: int) -> None:
        out.append(line)
        origin.append(file_line)

    def emit_source(index: int, lines: list[str]) -> None:
        first = where[index]
        for number, line in enumerate(lines):
            emit(line, first + number if first else 1)

    cells = list(nb.cells)
    header = _header_cell(cells)
    if header is None and isinstance(nb.metadata.get("pelican"), dict):
        # No header cell: the notebook metadata's `pelican` mapping, as a YAML front matter.
        import yaml

        dumped = yaml.safe_dump(dict(nb.metadata["pelican"]), sort_keys=False, allow_unicode=True)
        for line in ["---", *dumped.rstrip("\n").split("\n"), "---", ""]:
            emit(line, 1)
    for index, cell in enumerate(cells):
        lines = cell.source.split("\n")
        if index == header:
            emit_source(index, lines)
            emit("", where[index] or 1)
        elif cell.cell_type == "markdown":
            emit_source(index, lines)
            emit("", where[index] or 1)
        elif cell.cell_type == "code" and cell.source.strip():
            fence = "`" * max(3, 1 + _longest_backtick_run(cell.source))
            emit(f"{fence}{{python}}", (where[index] or 2) - 1)  # the `"source": [` line
            emit_source(index, lines)
            emit(fence, where[index] + len(lines) if where[index] else 1)
            emit("", where[index] or 1)
    return NotebookText("\n".join(out), tuple(origin))


def _header_cell(cells) -> int | None:
    """Index of the cell holding the article's metadata, if the first cell does."""
    if not cells:
        return None
    first = cells[0]
    lines = first.source.split("\n")
    if first.cell_type in ("raw", "markdown") and lines and DELIMITER.match(lines[0]):
        return 0
    if first.cell_type == "markdown" and PELICAN_HEADER_LINE.match(lines[0]):
        header = lines[:next((i for i, line in enumerate(lines) if not line.strip()), len(lines))]
        if all(PELICAN_HEADER_LINE.match(line) for line in header) and \
                any(line.lower().startswith("title:") for line in header):
            return 0
    return None


def _longest_backtick_run(source: str) -> int:
    runs = [len(m[0]) for m in re.finditer(r"^\s*(`+)", source, re.MULTILINE)]
    return max(runs, default=0)


def _source_lines(raw: str, nb) -> list[int]:
    """For each cell, the 1-based file line of its first source line (0 when the file is not
    laid out one source line per file line, e.g. a minified notebook)."""
    file_lines = raw.split("\n")
    keys = [i for i, line in enumerate(file_lines) if SOURCE_KEY.match(line)]
    indents = {SOURCE_KEY.match(file_lines[i])["indent"] for i in keys}
    if len(indents) > 1:  # "source" keys nested in metadata: keep the cells' own (least indented)
        least = min(indents, key=len)
        keys = [i for i in keys if SOURCE_KEY.match(file_lines[i])["indent"] == least]
    if len(keys) != len(nb.cells):
        return [0] * len(nb.cells)
    found = []
    for key, cell in zip(keys, nb.cells):
        expected = cell.source.split("\n")
        ok = True
        for offset, line in enumerate(expected):
            text = file_lines[key + 1 + offset].strip().rstrip(",") if key + 1 + offset < len(file_lines) else ""
            try:
                value = json.loads(text)
            except ValueError:
                ok = False
                break
            if not isinstance(value, str) or value.rstrip("\n") != line:
                ok = False
                break
        found.append(key + 2 if ok else 0)
    return found


def map_line(line: int, file_lines: tuple[int, ...]) -> int:
    """A line of the generated text -> the notebook file's line."""
    return file_lines[line - 1] if 0 < line <= len(file_lines) else line


def read_notebook(path: Path, rel_path: str) -> NotebookText:
    return notebook_text(Path(path).read_text(encoding="utf-8"), rel_path)


def wants_saved_outputs(header: Header) -> bool:
    """Quarto's `execute: enabled: false` in a notebook's header: show the outputs saved in
    the notebook instead of running it (the pelican-jupyter habit; opt-in)."""
    execute = header.fields.get("execute") if header.front is not None else None
    return isinstance(execute, dict) and execute.get("enabled") is False
