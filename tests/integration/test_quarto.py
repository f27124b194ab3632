"""A Quarto article, as a Quarto user has it, dropped into content/ as a .qmd and built
with the real Pelican: Quarto's getting-started example (YAML header with `format`,
`jupyter`, `execute`; a `#| label: fig-polar` block), extended with a block for every option."""

from __future__ import annotations

import re

import pytest

from support import Project, outer_html, parse_html

pytestmark = pytest.mark.slow

# Quarto's polar-plot block, verbatim (quarto.org/docs/get-started): the articles below share it.
POLAR_BLOCK = '''For a demonstration of a line plot on a polar axis, see @fig-polar.

```{python}
#| label: fig-polar
#| fig-cap: "A line plot on a polar axis"

import numpy as np
import matplotlib.pyplot as plt

r = np.arange(0, 2, 0.01)
theta = 2 * np.pi * r
fig, ax = plt.subplots(
  subplot_kw = {'projection': 'polar'} 
)
ax.plot(theta, r)
ax.set_rticks([0.5, 1, 1.5, 2])
ax.grid(True)
plt.show()
```
'''

# Quarto's "Quarto Basics" example (quarto.org/docs/get-started), as written for Quarto,
# then one block per option this engine supports.
QUARTO_ARTICLE = '''\
---
title: "Quarto Basics"
author:
  - name: Ann Author
    affiliation: Somewhere
date: 2024-03-01
categories: [Demos, python, quarto]
description: "A *Quarto* article, unchanged."
format:
  html:
    code-fold: true
    code-summary: "Show the code"
jupyter: python3
editor: visual
execute:
  warning: false
  freeze: auto
---

''' + POLAR_BLOCK + '''
```{python}
#| include: false
secret = 41
print("include-false output")
```

```{python}
#| echo: fenced
#| code-fold: false
print("fenced", secret + 1)
```

```{python}
#| echo: false
print("echo-false output")
```

```{python}
#| output: asis
#| code-fold: false
print("**bold from a block**")
```

```{python}
#| results: hide
print("results-hide output")
```

```{python}
#| output: false
print("output-false output")
```

```{python}
#| code-fold: show
#| code-summary: Warnings and messages
#| code-line-numbers: true
#| warning: true
#| message: false
import sys, warnings
print("message-false stderr", file=sys.stderr)
warnings.warn("shown warning")
```

```{python}
import sys, warnings
print("default stderr message", file=sys.stderr)
warnings.warn("document-hidden warning")
```

```{python}
#| eval: false
this_function_does_not_exist()
```

```{python}
#| error: true
1 / 0
```

```{python}
#| cache: true
#| fig-width: 4
#| fig-height: 2
#| fig-alt: A flat line
#| column: page
#| timeout: 60
#| depends: [data.txt]
plt.plot([1, 1]);
```

The secret plus one is `{python} secret + 1`.
'''


@pytest.fixture(scope="module")
def quarto_site(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("quarto") / "project")
    project.write("content/basics.qmd", QUARTO_ARTICLE)
    project.write("content/data.txt", "1\n")
    project.write("content/yaml-post.md", "---\ntitle: A YAML post\ndate: 2024-02-02\ntags: [a, b]\n"
                                          "draft: true\necho: false\n---\n\n```{python}\nprint('yaml post ran')\n```\n")
    project.write("content/pelican-post.md", "Title: A Pelican post\nDate: 2024-02-03\nExecute-Echo: false\n\n"
                                             "```{python}\nprint('pelican post ran')\n```\n")
    project.build()
    return project


@pytest.fixture(scope="module")
def basics(quarto_site) -> str:
    return quarto_site.html("basics")  # Quarto publishes basics.qmd as basics.html


def printed(html: str, text: str) -> bool:
    """`text` opens a <pre> of the page (whatever attributes a plugin gives the <pre>)."""
    return any(pre.text.startswith(text) for pre in parse_html(html).find_all("pre"))


def cell(html: str, marker: str) -> str:
    """The `<div class="cell">` holding `marker`."""
    cells = [c for c in outer_html(html, "div", cls="cell") if 'id="' in c.split(">", 1)[0]]
    found = [c for c in cells if marker in c]
    assert len(found) == 1, f"{marker!r} in {len(found)} cells"
    return found[0]


def test_yaml_metadata_becomes_pelican_metadata(basics):
    assert "Quarto Basics</title>" in basics
    assert "Ann Author" in basics
    assert "2024" in basics
    links = [a.attrs.get("href", "") for a in parse_html(basics).find_all("a")]
    for target in ("category/demos.html", "tag/python.html", "tag/quarto.html"):
        assert any(href.endswith(target) for href in links), target
    assert "format:" not in basics and "jupyter" not in basics and "editor" not in basics


def test_getting_started_figure_builds_unchanged(quarto_site, basics):
    figure = cell(basics, "A line plot on a polar axis")
    assert '<figure class="cell-figure" id="fig-polar">' in figure
    # `format: html: code-fold: true` and `code-summary` apply to every block
    assert '<details class="cell-fold"><summary>Show the code</summary>' in figure
    assert list((quarto_site.output / "results" / "basics").glob("*.png"))


def test_include_false_runs_but_shows_nothing(basics):
    assert "include-false output" not in basics and "secret = 41" not in basics
    assert '<span class="inline-value">42</span>' in basics  # its variable exists


def test_echo_fenced(basics):
    fenced = cell(basics, "fenced 42")
    assert '<span class="cell-fence">```{python}</span>' in fenced and "echo: fenced" in fenced


def test_echo_false(basics):
    hidden = cell(basics, "echo-false output")
    assert 'class="cell-code' not in hidden and "<details" not in hidden


def test_output_asis(basics):
    assert "<strong>bold from a block</strong>" in basics


def test_results_hide_and_output_false(basics):
    assert not printed(basics, "results-hide output") and not printed(basics, "output-false output")
    assert "&quot;results-hide output&quot;" in basics  # the code is still shown, as in Quarto


def test_warning_message_fold_show_and_line_numbers(basics):
    shown = cell(basics, "shown warning")
    assert '<details class="cell-fold" open><summary>Warnings and messages</summary>' in shown
    assert '<span class="linenos">1</span>' in shown
    assert not printed(shown, "message-false stderr")
    warnings = parse_html(shown).find("div", "cell-output-warning")
    assert warnings.elements[0].tag == "pre"
    assert warnings.elements[0].text.startswith("content/basics.qmd:81: UserWarning: shown warning")
    default = cell(basics, "default stderr message")
    assert "document-hidden warning\n</pre>" not in default  # execute: warning: false
    assert printed(default, "default stderr message")


def test_eval_false_and_error_true(basics):
    assert "this_function_does_not_exist" in basics and "NameError" not in basics
    assert "ZeroDivisionError" in cell(basics, "ZeroDivisionError")


def test_figure_options(basics):
    figure = cell(basics, "A flat line")
    assert 'class="cell-figure column-page"' in figure
    width = int(next(e for e in parse_html(figure).iter() if "width" in e.attrs)["width"])
    assert 300 < width < 400  # fig-width: 4 (inches, 96 CSS px each, tight bounding box)


def test_markdown_with_yaml_header_and_draft(quarto_site):
    draft = (quarto_site.output / "drafts" / "a-yaml-post.html").read_text()
    assert "yaml post ran" in draft and "print" not in draft  # echo: false in the header
    assert not (quarto_site.output / "a-yaml-post.html").exists()


def test_pelican_execute_headers_still_work(quarto_site):
    page = quarto_site.html("a-pelican-post")
    assert "pelican post ran" in page and "print" not in page


def test_cache_and_freeze_notes_are_printed(tmp_path, capfd):
    project = Project(tmp_path / "project")
    project.write("content/basics.qmd", QUARTO_ARTICLE)
    project.write("content/data.txt", "1\n")
    from execblocks import update
    update(project.engine(EXECBLOCKS_MODE="off"))
    out = capfd.readouterr()
    text = out.out + out.err
    assert "content/basics.qmd:17: 'freeze' is accepted and ignored" in text
    assert re.search(r"content/basics.qmd:\d+: 'cache' is accepted and ignored", text)


# Quarto's own examples, verbatim: "Quarto Basics" (get-started/hello) and the "matplotlib
# demo" of its Python guide (with `execute: echo: false`). No date: the file's stands in.
HELLO_QMD = '---\ntitle: "Quarto Basics"\nformat:\n  html:\n    code-fold: true\njupyter: python3\n---\n\n' + POLAR_BLOCK
MATPLOTLIB_DEMO = ('---\ntitle: "matplotlib demo"\nformat:\n  html:\n    code-fold: true\njupyter: python3\n'
                   'execute:\n  echo: false\n---\n\n' + POLAR_BLOCK)


def test_quartos_own_examples_build_unchanged(tmp_path):
    project = Project(tmp_path / "project")
    project.write("content/hello.qmd", HELLO_QMD)
    project.write("content/demo/matplotlib.qmd", MATPLOTLIB_DEMO)
    project.build()
    hello = project.html("hello")  # hello.qmd -> hello.html, as Quarto
    assert '<figure class="cell-figure" id="fig-polar">' in hello and "A line plot on a polar axis" in hello
    assert '<details class="cell-fold"><summary>Code</summary>' in hello  # format: html: code-fold: true
    demo = project.html("matplotlib")
    assert '<figure class="cell-figure" id="fig-polar">' in demo and "cell-code" not in demo  # echo: false
    assert (project.results / "demo" / "matplotlib" / "record.json").is_file()
