"""Rich outputs, cross-references and citations through a real build (kernel + Pelican)."""

import pytest

ARTICLE = """\
Title: Runs
Date: 2026-01-01
Slug: runs
Bibliography: refs.bib

Batch normalisation [@ioffe2015] trains faster: compare @tbl-runs with @fig-line.

```{python}
#| label: tbl-runs
#| tbl-cap: Final loss of each run
import pandas as pd
pd.DataFrame({"run": ["bn", "plain"], "loss": [0.25, 0.5]})
```

```{python}
#| label: fig-line
#| fig-cap: Loss by step
import matplotlib.pyplot as plt
plt.plot([3, 2, 1]);
```

```{python}
from IPython.display import Markdown, Latex, JSON, display
display(Markdown("**bold** <script>alert(1)</script>"))
display(Latex(r"$$\\sigma^2 < 1$$"))
display(JSON({"lr": 0.1}))
```
"""
BIB = """@inproceedings{ioffe2015,
  author = {Ioffe, Sergey and Szegedy, Christian},
  title = {Batch Normalization},
  booktitle = {ICML},
  year = {2015}
}
"""


@pytest.mark.slow
def test_executed_article_numbers_its_table_and_figure_and_cites(project):
    (project.content / "hello.md").unlink()
    project.write("content/runs.md", ARTICLE)
    project.write("content/refs.bib", BIB)
    project.build()
    html = project.html("runs")
    assert ('compare <a class="cross-ref" href="#tbl-runs">Table&nbsp;1</a> with '
            '<a class="cross-ref" href="#fig-line">Figure&nbsp;1</a>') in html
    assert '<table class="dataframe" id="tbl-runs"><caption><span class="table-number">Table 1.</span>' in html
    assert "<td>0.25</td>" in html and "<style" not in html
    assert "<strong>bold</strong>" in html and "<script>alert(1)" not in html
    assert '<div class="arithmatex">\\[\\sigma^2 &lt; 1\\]</div>' in html
    assert '<pre class="json">{\n  &quot;lr&quot;: 0.1\n}</pre>' in html
    assert '(<a class="citation-link" id="cite-ioffe2015-1" href="#ref-ioffe2015">Ioffe and Szegedy, 2015</a>)' in html
    assert '<div class="csl-entry" id="ref-ioffe2015">Ioffe, S. and Szegedy, C. (2015)' in html


@pytest.mark.slow
@pytest.mark.parametrize("prose, message", [
    ("See\n@fig-missing here.\n", "content/bad.md:6: unknown cross-reference @fig-missing"),
    ("Cited [@nobody2020].\n", "content/bad.md:5: unknown citation key @nobody2020"),
])
def test_unknown_reference_fails_the_build_naming_file_and_line(project, prose, message):
    (project.content / "hello.md").unlink()
    project.write("content/refs.bib", BIB)
    project.write("content/bad.md", f"Title: Bad\nDate: 2026-01-01\nBibliography: refs.bib\n\n{prose}")
    result = project.pelican(env={"COLUMNS": "300"})
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    assert not (project.output / "bad.html").exists()


CITING = "Title: Cites\nDate: 2026-01-02\nBibliography: refs.bib\n\nNormalised batches [@ioffe2015].\n"
BUILD_THEN_SAY = ("import sys; sys.path.insert(0, {plugins!r}); from execblocks.site import build; "
                  "build.build({conf!r}); print('citeproc imported:', 'citeproc' in sys.modules)")


@pytest.mark.slow
def test_a_kept_page_that_cites_needs_no_citeproc_and_a_bib_edit_reads_it_again(project):
    """A page taken from the page cache (site/page_cache.py) is keyed on its bibliography
    without importing citeproc-py; an edit to the .bib reads it again, with the new entry."""
    import subprocess
    import sys

    from support import REPO

    project.write("content/cites.md", CITING)
    project.write("content/refs.bib", BIB)
    conf = project.write_conf()
    project.build()

    def build_in_a_fresh_interpreter() -> str:
        done = subprocess.run([sys.executable, "-c", BUILD_THEN_SAY.format(plugins=str(REPO / "plugins"), conf=str(conf))],
                              cwd=project.root, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    assert build_in_a_fresh_interpreter() == "citeproc imported: False"
    assert "Ioffe, S. and Szegedy, C. (2015)" in project.html("cites")
    project.write("content/refs.bib", BIB.replace("year = {2015}", "year = {2016}"))
    assert build_in_a_fresh_interpreter() == "citeproc imported: True"
    assert "Ioffe, S. and Szegedy, C. (2016)" in project.html("cites")
