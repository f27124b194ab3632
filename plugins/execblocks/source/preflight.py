"""Metadata Pelican would reject, and inline values that are not Python expressions, found
before any block runs.

Pelican skips (or, with --fatal errors, dies on) an article without a title or with a
date it cannot parse, but only after the engine has spent minutes running its blocks,
and `invoke status` would have called it fresh. These checks read only the article's
`Header` (source/header.py), as parsed once.
"""

from __future__ import annotations

import datetime as dt
import re

from execblocks.errors import ArticleMetadataError, ArticleSyntaxError
from execblocks.source.header import COMPUTED_DATES
from execblocks.source.parse import Article

NOTEBOOK_TITLE_HINT = ("A notebook gets its title from a first cell (raw or Markdown) holding a YAML header "
                       "(---, title: ..., ---), a first Markdown cell of `Title: ...` lines or starting with "
                       "`# Title`, or a `pelican` mapping with `title` in the notebook's metadata "
                       "(Edit > Notebook Metadata in JupyterLab).")
TITLE_HINT = ("Pelican skips an article without one: add a `Title: ...` line at the top of the file (before "
              "the first blank line), or `title:` in its YAML header.")


# `2026-11-25`, `2026-11-25 14:30[:05]`: what nearly every header holds. When Python's own
# ISO reader takes such a date, so does Pelican's (dateutil's parser, tens of microseconds
# an article); any other text, or one Python refuses, is left to Pelican's.
PLAIN_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?")


def _plain_iso_date(value: str) -> bool:
    if not PLAIN_ISO_DATE.fullmatch(value):
        return False
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def check_metadata(article: Article) -> None:
    """ArticleMetadataError ('content/x.md: missing Title') when Pelican would reject it."""
    header = article.header
    if header.title is None:
        notebook = article.path.suffix == ".ipynb"
        raise ArticleMetadataError(article.rel_path, 0, "missing Title", NOTEBOOK_TITLE_HINT if notebook else TITLE_HINT)
    value = header.fields.get("date")
    if value is None or not isinstance(value, str) or value in COMPUTED_DATES:
        return  # none (the file's date stands in), a YAML date, or Quarto's `today`: nothing to check
    if _plain_iso_date(value):
        return
    from pelican.utils import get_date

    try:
        get_date(value)
    except ValueError:
        raise ArticleMetadataError(article.rel_path, header.line_of("date"),
                                   f"Date {value!r} is not a date Pelican can read",
                                   "Write it as `Date: 2026-11-25` (or `2026-11-25 14:30`).") from None


INLINE_HINT = ("An inline value is one Python expression, what could follow `print(`: a name, a call, an "
               "f-string. Compute anything longer in a block and show its name.")


def check_inline_values(article: Article) -> None:
    """ArticleSyntaxError at the value's line when an inline `{python} ...` does not parse as an
    expression: found before the blocks run, not after the last of them (where inline values
    are evaluated, hooks.inline_values)."""
    for inline in article.inline:
        try:
            compile(inline.expr, "<inline value>", "eval")
        except SyntaxError as error:
            raise ArticleSyntaxError(article.rel_path, inline.line,
                                     f"the inline value `{{python}} {inline.expr}` is not a Python expression: "
                                     f"{error.msg}", INLINE_HINT) from None
