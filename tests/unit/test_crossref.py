"""crossref: `@fig-x`, `@tbl-x`, `@eq-x`, `@sec-x` become numbered links, or a located error."""

import markdown
import nbformat
import pytest

from execblocks.references.crossref import ReferencesExtension
from execblocks.errors import ArticleSyntaxError
from execblocks.source.parse import parse_text
from execblocks.store.records import Environment, Record
from execblocks.render.blocks import ExecBlocksExtension, RenderedArticle
from execblocks.store.results_folder import StoredEntry
from pathlib import Path

ROOT = Path("/project")
SITE_EXTENSIONS = ["extra", "toc", "pymdownx.arithmatex"]  # extra includes fenced_code
SITE_CONFIGS = {"toc": {"permalink": "#"}, "pymdownx.arithmatex": {"generic": True}}


def convert(text: str, outputs: dict | None = None) -> str:
    """The article as the reader renders it: site extensions, blocks, references."""
    article = parse_text(text, ROOT / "content/a.md", ROOT, ROOT / "content")
    extensions = list(SITE_EXTENSIONS)
    if article.blocks:
        nb = nbformat.v4.new_notebook()
        for block in article.blocks:
            cell = nbformat.v4.new_code_cell(block.code)
            cell.metadata["execblocks"] = {"block": block.index}
            cell.outputs = (outputs or {}).get(block.index, [])
            nb.cells.append(cell)
        record = Record("content/a.md", "k", "python3", (), (), {}, Environment("cpu", {}, {}))
        entry = StoredEntry("a", ROOT / "results/a", record, None, None)
        entry.notebook = lambda: nb
        extensions.append(ExecBlocksExtension(RenderedArticle(article, entry)))
    extensions.append(ReferencesExtension("content/a.md", text))
    return markdown.markdown(text, extensions=extensions, extension_configs=SITE_CONFIGS)


def figure_output(name: str):
    return nbformat.v4.new_output("display_data", data={"image/png": name, "text/plain": "F"},
                                  metadata={"execblocks": {"files": {"image/png": name}}})


def test_figure_reference_names_the_figure_number_and_links_to_it():
    text = ("```{python}\n#| label: fig-first\n#| fig-cap: One\nplot()\n```\n\n"
            "```{python}\n#| label: fig-loss\n#| fig-cap: Two\nplot()\n```\n\n"
            "As @fig-loss shows, and [see @fig-first].\n")
    html = convert(text, {0: [figure_output("a.png")], 1: [figure_output("b.png")]})
    assert 'id="fig-loss"' in html
    assert 'As <a class="cross-ref" href="#fig-loss">Figure&nbsp;2</a> shows' in html
    assert '<span class="cross-refs">see <a class="cross-ref" href="#fig-first">Figure&nbsp;1</a></span>' in html


def test_table_reference():
    table = nbformat.v4.new_output("display_data", data={"text/html": "<table><tr><td>1</td></tr></table>"})
    text = "```{python}\n#| label: tbl-runs\n#| tbl-cap: Runs\ndf\n```\n\nSee @tbl-runs.\n"
    html = convert(text, {0: [table]})
    assert '<table id="tbl-runs"><caption><span class="table-number">Table 1.</span> Runs</caption>' in html
    assert 'See <a class="cross-ref" href="#tbl-runs">Table&nbsp;1</a>.' in html


def test_labelled_equations_are_numbered_and_referable():
    text = ("$$ a < b $$ {#eq-first}\n\n$$\nx = 1\n$$\n\n$$\n\\hat{x} = \\frac{x - \\mu}{\\sigma}\n$$ {#eq-bn}\n\n"
            "By @eq-bn and @eq-first.\n")
    html = convert(text)
    assert ('<div class="equation" id="eq-first"><div class="arithmatex">\\[a &lt; b\\]</div>'
            '<span class="equation-number">(1)</span></div>') in html
    assert '<div class="arithmatex">\\[\nx = 1\n\\]</div>' in html  # unlabelled: arithmatex's, unnumbered
    assert 'id="eq-bn"><div class="arithmatex">\\[\\hat{x} = \\frac{x - \\mu}{\\sigma}\\]</div>' \
           '<span class="equation-number">(2)</span>' in html
    assert ('By <a class="cross-ref" href="#eq-bn">Equation&nbsp;2</a> and '
            '<a class="cross-ref" href="#eq-first">Equation&nbsp;1</a>.') in html


def test_math_in_code_is_not_an_equation():
    html = convert("```\n$$ a $$ {#eq-code}\n```\n\n    $$ b $$ {#eq-indented}\n")
    assert "equation" not in html and "{#eq-code}" in html and "{#eq-indented}" in html


def test_sections_are_numbered_when_one_is_labelled():
    text = "## Intro\n\n## Method {#sec-method}\n\n### Data {#sec-data}\n\nIn @sec-data and @sec-method.\n"
    html = convert(text)
    assert '<h2 id="sec-method"><span class="header-section-number">2</span> Method' in html
    assert '<h3 id="sec-data"><span class="header-section-number">2.1</span> Data' in html
    assert ('In <a class="cross-ref" href="#sec-data">Section&nbsp;2.1</a> and '
            '<a class="cross-ref" href="#sec-method">Section&nbsp;2</a>.') in html
    assert "header-section-number" not in convert("## Intro\n\n## Method\n")


@pytest.mark.parametrize("label, hint", [("fig-nope", "#| label: fig-"), ("tbl-nope", "tbl-cap"),
                                         ("eq-nope", "{#eq-name}"), ("sec-nope", "{#sec-name}")])
def test_unknown_label_is_an_error_at_its_line(label, hint):
    text = f"Title: A\n\n## One {{#sec-one}}\n\nFine.\n\nBut @{label} is not.\n"
    with pytest.raises(ArticleSyntaxError) as error:
        convert(text)
    assert str(error.value).startswith(f"content/a.md:7: unknown cross-reference @{label}")
    assert hint in str(error.value)


def test_at_signs_in_mail_code_links_and_escapes_are_left_alone():
    text = ("Write to me@example.com or <you@example.org>. `x @fig-code` and\n\n"
            "    y = a @fig-indented\n\n```python\nz = a @fig-fenced\n```\n\n"
            "[profile](https://example.com/@fig-url) and \\@fig-escaped.\n")
    html = convert(text)
    assert "cross-ref" not in html
    assert "me@example.com" in html and "<code>x @fig-code</code>" in html
    assert "@fig-escaped" in html and "\\@" not in html


def test_without_a_bibliography_other_keys_stay_text():
    assert "<p>Thanks @alice and [@bob].</p>" in convert("Thanks @alice and [@bob].\n")


def test_inline_values_are_data_never_references_or_markup():
    from support import render

    html, _ = render("```{python}\nx = 1\n```\n\nValue `{python} x`.", [], inline={"x": "@fig-x _y_"})
    assert '<span class="inline-value">@fig-x _y_</span>' in html


def test_targets_are_read_as_a_browser_reads_the_page():
    """libxml2 reads the page (references/crossref.py `target_numbers`): HTML5 figure markup with
    void <source>/<img> tags, sub-figures, entities; a target inside a comment or a script is none."""
    from execblocks.references.crossref import target_numbers

    page = ('<figure id="fig-a"><picture><source srcset="a.png 1x"><img src="a.png" alt="x &gt; y"></picture>'
            '<figure id="fig-a-1"><img src="b.png"><figcaption><span class="subfigure-letter">(a)</span></figcaption>'
            '</figure><figcaption><span class="figure-number">Figure&nbsp;2.</span> A</figcaption></figure>'
            '<!-- <div id="fig-hidden"><span class="figure-number">Figure 9.</span></div> -->'
            '<script>var s = \'<div id="tbl-fake"><span class="table-number">Table 7.</span></div>\';</script>'
            '<h2 id="sec-b"><span class="header-section-number">3.1</span> B</h2>'
            '<div class="equation" id="eq-c"><span class="equation-number">(4)</span></div>')
    assert target_numbers(page) == {"fig-a": "2", "fig-a-1": "2(a)", "sec-b": "3.1", "eq-c": "4"}
