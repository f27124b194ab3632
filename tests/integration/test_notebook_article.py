"""A Jupyter notebook in content/ is an article: its code cells run at build time (the
outputs saved in it are not used), Markdown cells are prose, freshness works as for .md."""

from __future__ import annotations


import nbformat
import pytest

from support import Project, parse_html

pytestmark = pytest.mark.slow


def notebook(cells: list, **metadata) -> str:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata.update(metadata)
    nb.cells = cells
    return nbformat.writes(nb)


def printed(html: str, text: str) -> bool:
    """`text` is the whole of a <pre> of the page (whatever attributes a plugin gives the <pre>)."""
    return any(pre.text == text for pre in parse_html(html).find_all("pre"))


CELLS = [
    nbformat.v4.new_markdown_cell("Title: A notebook article\nDate: 2024-05-01\nCategory: Notebooks\n\n"
                                  "Intro prose, *in Markdown*."),
    nbformat.v4.new_code_cell("from helper import double\nn = double(21)\nprint('n is', n)",
                              outputs=[nbformat.v4.new_output("stream", name="stdout", text="saved, stale output\n")]),
    nbformat.v4.new_markdown_cell("The value is `{python} n + 1`."),
    nbformat.v4.new_code_cell("#| echo: false\n#| fig-cap: A rising line\n#| label: fig-rise\n"
                              "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3]);"),
]


@pytest.fixture
def nb_project(tmp_path) -> Project:
    project = Project(tmp_path / "project")
    project.write("content/nb.ipynb", notebook(CELLS))
    project.write("code/helper.py", "def double(value):\n    return 2 * value\n")
    return project


def test_notebook_article_runs_its_cells_and_renders(nb_project, capfd):
    nb_project.build()
    html = nb_project.html("a-notebook-article")
    assert "<em>in Markdown</em>" in html
    assert printed(html, "n is 42\n") and "saved, stale output" not in html
    assert '<span class="inline-value">43</span>' in html
    assert '<figure class="cell-figure" id="fig-rise">' in html and "A rising line" in html
    assert "plt.plot" not in html  # echo: false from the cell's own #| line
    assert (nb_project.output / "results" / "nb").is_dir()
    assert (nb_project.results / "nb" / "record.json").is_file()

    # Freshness as for Markdown: a prose edit runs nothing, an imported module's edit reruns it.
    capfd.readouterr()
    nb_project.write("content/nb.ipynb", notebook([*CELLS[:2],
                                                   nbformat.v4.new_markdown_cell("New prose `{python} n + 1`."),
                                                   CELLS[3]]))
    nb_project.build()
    assert "nothing to execute" in capfd.readouterr().err
    nb_project.edit("code/helper.py", "2 * value", "3 * value")
    nb_project.build()
    assert "code/helper.py" in capfd.readouterr().err
    assert printed(nb_project.html("a-notebook-article"), "n is 63\n")


def test_failing_cell_names_the_notebook_line(nb_project):
    from execblocks import BlockExecutionError

    broken = [*CELLS[:1], nbformat.v4.new_code_cell("x = 1\nraise ValueError('bad cell')")]
    path = nb_project.write("content/nb.ipynb", notebook(broken))
    line = next(n for n, text in enumerate(path.read_text().split("\n"), 1) if "raise ValueError" in text)
    with pytest.raises(BlockExecutionError) as caught:
        nb_project.build()
    assert str(caught.value).startswith(f"content/nb.ipynb:{line}: block 1 raised ValueError: bad cell")


PNG_1PX = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def test_saved_outputs_are_shown_only_when_asked(nb_project, capfd):
    """`execute: enabled: false` (Quarto's switch): the outputs saved in the notebook are
    shown, nothing runs; saving new outputs in Jupyter shows them at the next build."""
    def saved(text: str) -> str:
        cells = [
            nbformat.v4.new_raw_cell("---\ntitle: Saved outputs\ndate: 2024-05-02\nexecute:\n  enabled: false\n---"),
            nbformat.v4.new_code_cell("this_would_fail()", outputs=[
                nbformat.v4.new_output("stream", name="stdout", text=text)]),
            nbformat.v4.new_code_cell("plot()", outputs=[nbformat.v4.new_output(
                "display_data", data={"image/png": PNG_1PX, "text/plain": "<Figure>"})]),
        ]
        return notebook(cells)

    nb_project.write("content/nb.ipynb", saved("computed in Jupyter\n"))
    nb_project.build()
    html = nb_project.html("nb")
    assert printed(html, "computed in Jupyter\n")  # `this_would_fail()` never ran
    assert "Not executed" not in html
    assert "<figure" in html and len(list((nb_project.output / "results" / "nb").glob("*.png"))) == 1
    nb_project.write("content/nb.ipynb", saved("saved again\n"))
    nb_project.build()
    assert printed(nb_project.html("nb"), "saved again\n")


def test_a_notebook_is_converted_to_markdown_once_per_build(project: Project, monkeypatch):
    """Parsing, the metadata preflight and the Pelican reader share one Article (was three conversions)."""
    from execblocks.source import notebook_article

    project.write("content/nb.ipynb", notebook(CELLS))
    project.build()  # runs it; the next build is a no-op that only reads
    calls = []
    original = notebook_article.notebook_text
    monkeypatch.setattr(notebook_article, "notebook_text", lambda *a: calls.append(a[1]) or original(*a))
    project.build()
    assert calls == ["content/nb.ipynb"]
    assert "n is 42" in project.html("a-notebook-article")
