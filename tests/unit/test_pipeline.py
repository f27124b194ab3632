"""pipeline: which articles a name picks (`invoke run NAME`)."""

from pathlib import Path

import pytest

from execblocks.errors import ExecBlocksError
from execblocks.source.parse import parse_text
from execblocks.pipeline import select

ROOT = Path("/project")
BLOCK = "\n```{python}\nx = 1\n```\n"


def article(name: str, header: str):
    return parse_text(header + "\n" + BLOCK, ROOT / f"content/{name}", ROOT, ROOT / "content")


def test_select_by_path_stem_slug_or_the_slug_pelican_derives_from_the_title():
    titled = article("2026-notes.md", "Title: Batch Norm, Revisited!\nDate: 2026-01-01\n")
    slugged = article("other.md", "Title: Other\nSlug: my-slug\n")
    articles = [titled, slugged]
    assert select(articles, ["batch-norm-revisited"]) == [titled]  # Pelican's slug of the title
    assert select(articles, ["content/2026-notes.md"]) == [titled]
    assert select(articles, ["2026-notes"]) == [titled]
    assert select(articles, ["my-slug", "other"]) == [slugged]


def test_select_unknown_name_lists_the_known_ones():
    with pytest.raises(ExecBlocksError, match=r"no executable article matches 'nosuch' \(known: other\)"):
        select([article("other.md", "Title: Other\n")], ["nosuch"])
