"""ipynb: a notebook becomes the Article its Markdown form gives, lines pointing into the .ipynb."""

from pathlib import Path

import nbformat
import pytest

from execblocks.errors import ArticleSyntaxError
from execblocks.source.notebook_article import notebook_text
from execblocks.source.parse import discover, parse_article, parse_text


def write_notebook(path: Path, cells: list, **metadata) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata.update(metadata)
    nb.cells = cells
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def file_line(path: Path, text: str) -> int:
    """1-based line of the notebook file holding `text`."""
    return next(n for n, line in enumerate(path.read_text().split("\n"), 1) if text in line)


@pytest.fixture
def content(tmp_path) -> Path:
    return tmp_path / "content"


def test_notebook_is_the_article_its_markdown_form_gives(tmp_path, content):
    path = write_notebook(content / "nb.ipynb", [
        nbformat.v4.new_raw_cell("---\ntitle: A notebook\nexecute:\n  echo: false\n---"),
        nbformat.v4.new_markdown_cell("Prose with `{python} n * 2`."),
        nbformat.v4.new_code_cell("#| label: first\nn = 21\nprint(n)",
                                  outputs=[nbformat.v4.new_output("stream", name="stdout", text="old\n")]),
        nbformat.v4.new_code_cell(""),  # empty cells are not blocks
        nbformat.v4.new_code_cell("s = '''\n```\n'''"),  # a fence inside the code stays code
    ])
    article = parse_article(path, tmp_path, content)
    same = parse_text(notebook_text(path.read_text(), "nb").text, path, tmp_path, content)
    assert [b.code for b in article.blocks] == [b.code for b in same.blocks] == ["n = 21\nprint(n)", "s = '''\n```\n'''"]
    assert article.blocks[0].options == same.blocks[0].options
    assert article.blocks[0].options.echo is False and article.blocks[0].options.label == "first"
    assert article.article_id == "nb" and article.slug == "nb" and article.rel_path == "content/nb.ipynb"
    # Lines name the .ipynb file's own lines.
    assert article.blocks[0].code_line == file_line(path, '"n = 21\\n"')
    assert article.inline[0].line == file_line(path, "Prose with")


def test_bad_option_in_a_cell_names_the_notebook_line(tmp_path, content):
    path = write_notebook(content / "nb.ipynb", [
        nbformat.v4.new_markdown_cell("Title: N\nDate: 2024-01-01\n\nProse."),
        nbformat.v4.new_code_cell("#| echo: true\n#| ecko: false\nx = 1"),
    ])
    with pytest.raises(ArticleSyntaxError) as caught:
        parse_article(path, tmp_path, content)
    assert caught.value.line == file_line(path, "#| ecko: false")
    assert str(caught.value).startswith(f"content/nb.ipynb:{caught.value.line}: unknown block option 'ecko'; "
                                        "did you mean 'echo'?")


@pytest.mark.parametrize("cells, metadata", [
    ([nbformat.v4.new_markdown_cell("Title: From a cell\nDate: 2024-01-01\nExecute-Echo: false\n\nProse.")], {}),
    ([nbformat.v4.new_markdown_cell("---\ntitle: From a cell\necho: false\n---")], {}),
    ([nbformat.v4.new_markdown_cell("Prose.")], {"pelican": {"title": "From metadata", "echo": False}}),
])
def test_metadata_from_first_cell_or_notebook_metadata(tmp_path, content, cells, metadata):
    path = write_notebook(content / "nb.ipynb", [*cells, nbformat.v4.new_code_cell("x = 1")], **metadata)
    text = notebook_text(path.read_text(), "nb").text
    assert "title: from" in text.lower()
    assert parse_article(path, tmp_path, content).blocks[0].options.echo is False  # header options apply


def test_non_python_notebook_is_rejected(tmp_path, content):
    path = write_notebook(content / "r.ipynb", [nbformat.v4.new_code_cell("x <- 1")],
                          kernelspec={"name": "ir", "display_name": "R", "language": "R"})
    with pytest.raises(ArticleSyntaxError, match="language is 'R'; only Python notebooks run here"):
        parse_article(path, tmp_path, content)


def test_unreadable_notebook_is_a_clear_error(tmp_path, content):
    content.mkdir(parents=True)
    (content / "broken.ipynb").write_text("{not json")
    with pytest.raises(ArticleSyntaxError, match=r"content/broken.ipynb:1: not a readable Jupyter notebook"):
        parse_article(content / "broken.ipynb", tmp_path, content)


def test_discover_finds_md_qmd_and_ipynb_and_refuses_two_with_one_name(tmp_path, content):
    write_notebook(content / "nb.ipynb", [nbformat.v4.new_code_cell("x = 1")])
    (content / "q.qmd").write_text("---\ntitle: Q\n---\n\n```{python}\nx = 1\n```\n")
    (content / "m.md").write_text("Title: M\n\nText.\n")
    (content / ".hidden").mkdir()
    (content / ".hidden" / "h.md").write_text("Title: H\n")
    assert [a.rel_path for a in discover(content, tmp_path)] == ["content/m.md", "content/nb.ipynb", "content/q.qmd"]
    (content / "m.qmd").write_text("---\ntitle: M2\n---\n")
    with pytest.raises(ArticleSyntaxError, match="content/m.qmd:1: content/m.md has the same name"):
        discover(content, tmp_path)
