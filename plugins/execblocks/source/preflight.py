"""Metadata Pelican would reject, found before any block runs.

Pelican skips (or, with --fatal errors, dies on) an article without a title or with a
date it cannot parse, but only after the engine has spent minutes running its blocks,
and `invoke status` would have called it fresh. These checks read only the header.
"""

from __future__ import annotations

from pathlib import Path

from execblocks.errors import ArticleMetadataError
from execblocks.source.header import COMPUTED_DATES
from execblocks.source.parse import METADATA_LINE


def header(text: str) -> tuple[dict[str, tuple[int, str]], int]:
    """Lowercased metadata keys -> (1-based line, raw value); and where the header ends.

    Pelican's Markdown header (`Key: value` lines up to the first blank line), or YAML
    front matter between `---` lines."""
    lines = text.split("\n")
    found: dict[str, tuple[int, str]] = {}
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), len(lines))
        import yaml  # only for a YAML header: most articles have none

        try:
            data = yaml.safe_load("\n".join(lines[1:end])) or {}
        except yaml.YAMLError:
            data = {}
        for key, value in (data.items() if isinstance(data, dict) else []):
            number = next((i + 1 for i in range(1, end) if lines[i].lower().startswith(f"{str(key).lower()}:")), 1)
            found[str(key).lower()] = (number, "" if value is None else str(value))
        return found, end
    for number, line in enumerate(lines):
        if not line.strip():
            return found, number
        match = METADATA_LINE.match(line)
        if not match:
            return found, number
        found[match["key"].lower()] = (number + 1, match["value"].strip())
    return found, len(lines)


def check_metadata(path: Path, rel_path: str) -> None:
    """ArticleMetadataError ('content/x.md: missing Title') when Pelican would reject it."""
    if path.suffix == ".ipynb":  # its header is in its first cell or metadata (see source/notebook_article.py)
        from execblocks.source.notebook_article import read_notebook

        text = read_notebook(path, rel_path).text
    else:
        text = path.read_text(encoding="utf-8-sig")
    meta, end = header(text)
    if not meta.get("title", (0, ""))[1].strip():
        raise ArticleMetadataError(rel_path, 0, "missing Title",
                                   "Pelican skips an article without one: add a `Title: ...` line at the "
                                   "top of the file (before the first blank line).")
    if "date" in meta:
        from pelican.utils import get_date

        line, value = meta["date"]
        if value in COMPUTED_DATES:  # Quarto's `today` / `last-modified`: the file's date
            return
        try:
            get_date(value)
        except ValueError:
            raise ArticleMetadataError(rel_path, line, f"Date {value!r} is not a date Pelican can read",
                                       "Write it as `Date: 2026-11-25` (or `2026-11-25 14:30`).") from None
