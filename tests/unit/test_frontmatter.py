"""frontmatter: a YAML header's execution options and its Quarto metadata as Pelican's."""

import datetime as dt
from pathlib import Path

import pytest

from execblocks.errors import ArticleSyntaxError
from execblocks.source.header import blank_front_matter, find_front_matter, pelican_metadata
from execblocks.source.parse import parse_text

ROOT = Path("/project")
CONTENT = ROOT / "content"


def front(text: str):
    return find_front_matter(text.split("\n"), "content/a.qmd")


def parse(text: str, defaults=None):
    return parse_text(text, CONTENT / "a.qmd", ROOT, CONTENT, defaults)


def test_quarto_metadata_maps_to_pelicans():
    meta = pelican_metadata(front(
        "---\ntitle: \"Quarto Basics\"\ndate: 2024-01-02\ncategories: [ML, python, notes]\ntags: [x, python]\n"
        "description: A *short* one\ndraft: true\nauthor:\n  - name: Ann\n  - Bob\nbibliography: refs.bib\n"
        "format:\n  html:\n    code-fold: true\njupyter: python3\neditor: visual\necho: false\n---\n"))
    assert meta == {"title": ["Quarto Basics"], "date": ["2024-01-02"], "category": ["ML"],
                    "tags": ["python, notes, x"], "summary": ["A *short* one"], "status": ["draft"],
                    "authors": ["Ann; Bob"], "bibliography": ["refs.bib"]}


def test_summary_wins_over_description_and_single_author():
    meta = pelican_metadata(front("---\nsummary: S\ndescription: D\nauthor: {name: {given: Ann, family: Lee}}\n---"))
    assert meta["summary"] == ["S"] and meta["author"] == ["Ann Lee"]


def test_missing_or_computed_date_is_the_files():
    modified = dt.datetime(2025, 6, 7, 8, 9, tzinfo=dt.timezone.utc)
    assert pelican_metadata(front("---\ntitle: T\n---"), modified)["date"] == ["2025-06-07T08:09:00+00:00"]
    assert pelican_metadata(front("---\ntitle: T\ndate: last-modified\n---"), modified)["date"] == \
        ["2025-06-07T08:09:00+00:00"]


def test_header_options_precedence_format_then_top_then_execute_then_block():
    article = parse("---\nformat:\n  html:\n    code-fold: true\n    code-summary: S\n    toc: true\n"
                    "code-fold: show\necho: true\nexecute:\n  echo: false\n  enabled: true\n---\n\n"
                    "```{python}\nx = 1\n```\n\n```{python}\n#| echo: true\nx = 2\n```\n")
    first, second = (b.options for b in article.blocks)
    assert (first.code_fold, first.code_summary, first.echo, first.eval) == ("show", "S", False, True)
    assert second.echo is True


def test_header_options_override_site_defaults():
    article = parse("---\nfig-width: 6\n---\n\n```{python}\nx = 1\n```\n", defaults={"fig-width": 9, "echo": False})
    assert (article.blocks[0].options.fig_width, article.blocks[0].options.echo) == (6, False)


def test_execute_enabled_false_is_eval_false():
    article = parse("---\nexecute:\n  enabled: false\n---\n\n```{python}\nx = 1\n```\n")
    assert article.blocks[0].options.eval is False


def test_block_lines_keep_their_file_numbers_and_slug_and_title_come_from_the_header():
    article = parse("---\ntitle: T\nslug: my-slug\n---\n\n```{python}\nx = 1\n```\n")
    assert article.blocks[0].fence_line == 6 and article.slug == "my-slug" and article.title == "T"
    lines = "---\na: 1\n---\nText".split("\n")
    assert blank_front_matter(lines, find_front_matter(lines, "x")) == ["", "", "", "Text"]


@pytest.mark.parametrize("text, line, message", [
    ("---\ntitle: T\nexecute:\n  ecko: false\n---\n", 4, "unknown execute option 'ecko'; did you mean 'echo'?"),
    ("---\ntitle: T\necho: no\n---\n", 3, "header option 'echo' expects true, false or fenced, got 'no'"),
    ("---\ntitle: T\nexecute: [echo]\n---\n", 3, "'execute:' must be a mapping"),
    ("---\ntitle: [unclosed\n---\n", 2, "the YAML header is not valid YAML"),
    ("---\ntitle: T\n", 1, "never closed"),
    ("---\n- a list\n---\n", 2, "must be a mapping"),
])
def test_header_errors_name_the_line(text, line, message):
    with pytest.raises(ArticleSyntaxError) as caught:
        parse(text + "\n```{python}\nx = 1\n```\n")
    assert caught.value.line == line and message in str(caught.value), str(caught.value)


def test_freeze_in_the_header_is_a_note():
    article = parse("---\nexecute:\n  freeze: auto\n---\n\n```{python}\nx = 1\n```\n")
    assert article.notes == ("content/a.qmd:3: 'freeze' is accepted and ignored: results are always frozen "
                             "in results/ and rerun only when their inputs change",)


# One header reader (source/header.py: read_header) for parsing, preflight, citations and the reader.

INDENTED_RULE = """\
---
title: A header with a folded block
date: 2026-01-02
description: |
  Some text, then a rule inside the block:
  ---
  and more text after it.
bibliography: refs.bib
---

Body.
"""


def test_an_indented_rule_inside_a_yaml_block_does_not_end_the_header(tmp_path):
    from execblocks.source.header import read_header
    from execblocks.source.parse import parse_text
    from execblocks.source.preflight import check_metadata

    header = read_header(INDENTED_RULE.split("\n"), "content/a.qmd")
    assert header.title == "A header with a folded block"
    assert "---\nand more text" in header.fields["description"]
    assert header.line_of("bibliography") == 8 and header.end == 9
    article = parse_text(INDENTED_RULE + "\n```{python}\n1\n```\n", tmp_path / "content/a.qmd", tmp_path,
                         tmp_path / "content")
    assert article.header.fields == header.fields and article.title == header.title
    check_metadata(article)  # was "missing Title": the preflight had its own, looser reader


def test_a_pelican_header_is_read_up_to_the_first_blank_line():
    from execblocks.source.header import read_header

    header = read_header("Title: T\nExecute-Echo: false\nDate: 2026-01-01\n\nBody: not a header".split("\n"), "a.md")
    assert header.fields == {"title": "T", "execute-echo": "false", "date": "2026-01-01"}
    assert header.names["execute-echo"] == "Execute-Echo" and header.line_of("date") == 3 and header.end == 3
    assert read_header(["Just prose."], "a.md").fields == {}


def test_a_missing_title_in_a_notebook_names_the_ways_that_work_there(tmp_path):
    import nbformat
    import pytest

    from execblocks.errors import ArticleMetadataError
    from execblocks.source.parse import parse_article
    from execblocks.source.preflight import check_metadata

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("1 + 1")]
    path = tmp_path / "content" / "n.ipynb"
    path.parent.mkdir()
    path.write_text(nbformat.writes(nb))
    with pytest.raises(ArticleMetadataError) as caught:
        check_metadata(parse_article(path, tmp_path, tmp_path / "content"))
    assert "missing Title" in str(caught.value) and "`pelican` mapping" in str(caught.value)
    assert "Title: ...` line at the top of the file" not in str(caught.value)
