"""Pandoc's fenced divs and table captions (plugins/reading/divs.py), through the real
Python-Markdown pipeline with the extensions the site uses."""

from __future__ import annotations

import markdown
import pytest

from reading import divs


class DivsOnly(markdown.Extension):
    def extendMarkdown(self, md):  # noqa: N802
        divs.register(md)


def render(text: str) -> markdown.Markdown:
    md = markdown.Markdown(extensions=["pymdownx.extra", "attr_list", "toc", DivsOnly()])
    md.html = md.convert(text)
    return md


def test_callout_title_is_its_heading_not_a_section():
    md = render(":::{.callout-tip}\n## Learn more\nSee the guide.\n:::\n\n## Introduction\n\nText.\n")
    assert '<div class="callout callout-tip" role="note">' in md.html
    assert '<div class="callout-title">Learn more</div>' in md.html
    assert md.html.count("<h2") == 1
    assert [t["name"] for t in md.toc_tokens] == ["Introduction"]  # not in the table of contents


@pytest.mark.parametrize("kind", divs.CALLOUTS)
def test_every_callout_kind_has_a_default_title(kind):
    html = render(f"::: callout-{kind}\nBody.\n:::\n").html
    assert f'class="callout callout-{kind}"' in html and f">{kind.capitalize()}</div>" in html


def test_collapsed_callout_is_a_details_with_title_attribute():
    html = render('::: {.callout-warning collapse="true" title="Careful **now**"}\nBody.\n:::\n').html
    assert html.startswith('<details class="callout callout-warning">')
    assert '<summary class="callout-title">Careful <strong>now</strong></summary>' in html
    assert " open" not in html
    assert " open" in render('::: {.callout-note collapse="false"}\nBody.\n:::\n').html


def test_figure_div_letters_its_subfigures_and_numbers_in_document_order():
    text = ('<figure id="fig-a"><figcaption><span class="figure-number">Figure 1.</span> '
            'An engine figure</figcaption></figure>\n\n'
            "::: {#fig-elephants layout-ncol=2}\n\n![Surus](surus.png){#fig-surus}\n\n"
            "![Hanno](hanno.png){#fig-hanno}\n\nFamous Elephants\n:::\n")
    html = render(text).html
    assert '<figure class="quarto-float quarto-figure" id="fig-elephants">' in html
    assert '<figure class="cell-subfigure" id="fig-surus"><img alt="Surus" src="surus.png" />' \
           '<figcaption><span class="subfigure-letter">(a)</span> Surus</figcaption>' in html
    assert '<span class="subfigure-letter">(b)</span> Hanno' in html
    # the div's figure comes second in the document: "Figure 2", whoever numbered the first
    assert '<span class="figure-number">Figure 2.</span> Famous Elephants' in html
    assert html.count("Figure 1.") == 1


def test_layout_attribute_rows_spacers_and_nrow():
    html = render('::: {layout="[[40,-20,40], [100]]"}\nA\n\nB\n\nC\n:::\n').html
    assert html.count('class="figure-grid layout-row"') == 2
    assert "--layout-columns: minmax(0, 40fr) minmax(0, 20fr) minmax(0, 40fr)" in html
    assert html.count('<div class="layout-spacer"></div>') == 1
    assert [p for p in ("<p>A</p>", "<p>B</p>", "<p>C</p>") if p in html] == ["<p>A</p>", "<p>B</p>", "<p>C</p>"]
    rows = render("::: {layout-nrow=2}\nA\n\nB\n\nC\n\nD\n:::\n").html
    assert rows.count("layout-row") == 2 and rows.count('class="layout-cell"') == 4


def test_nested_divs_margin_and_plain_attributes():
    html = render('::: {#outer .note-box key=value}\nOuter.\n\n::: {.column-margin}\nIn the margin.\n:::\n\n'
                  "After.\n:::\n\nOutside.\n").html
    assert '<div class="note-box" data-key="value" id="outer">' in html
    assert '<aside class="column-margin">\n<p>In the margin.</p>\n</aside>' in html
    assert html.index("After.") < html.index("</div>") < html.index("Outside.")


def test_an_unclosed_fence_stays_text_and_code_is_never_a_div():
    assert "<p>::: {.callout-note}\nNever closed.</p>" in render("::: {.callout-note}\nNever closed.\n").html
    html = render("```\n::: {.callout-note}\nx\n:::\n```\n").html
    assert "callout" not in html.replace("{.callout-note}", "")


def test_pandoc_table_caption_numbers_and_labels_the_table():
    html = render("| a | b |\n|---|---|\n| 1 | 2 |\n\nTable: Here is the Caption {#tbl-mytable}\n").html
    assert '<table id="tbl-mytable"><caption><span class="table-number">Table 1.</span> ' \
           "Here is the Caption</caption>" in html
    assert "Table:" not in html and "<dl>" not in html


def test_table_div_caption_is_its_last_paragraph():
    html = render("::: {#tbl-x}\n| a |\n|---|\n| 1 |\n\nLetters\n:::\n").html
    assert '<div class="quarto-float quarto-table" id="tbl-x">' in html
    assert '<span class="table-number">Table 1.</span> Letters' in html


def test_an_image_alone_is_a_captioned_unnumbered_figure():
    html = render('![Elephant](elephant.png){width="400px"}\n\nText with ![inline](x.png) image.\n').html
    assert '<figure class="image-figure"><img alt="Elephant" src="elephant.png" width="400px" />' \
           "<figcaption>Elephant</figcaption></figure>" in html
    assert '<p>Text with <img alt="inline" src="x.png" /> image.</p>' in html
    assert "figure-number" not in html
