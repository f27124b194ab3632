"""render: Markdown with stored results -> HTML, without executing anything."""

import nbformat

from execblocks.render.blocks import sanitize_html
from execblocks.store.records import Provenance

from support import render


def test_stream_output_is_escaped_and_provenance_shown():
    html, _ = render("```{python}\nprint('<b>')\n```\n\nValue `{python} x`.",
                     [nbformat.v4.new_output("stream", name="stdout", text="<b>\n")])
    assert '<div class="cell-output cell-output-stdout"><pre>&lt;b&gt;\n</pre></div>' in html
    # One short line under the result; versions and dates live in the footer's table.
    assert '<p class="cell-provenance"><a href="#run-details">250 ms · cpu</a></p>' in html
    assert '<span class="inline-value">&lt;42&gt;</span>' in html


def test_figure_with_caption_alt_label_and_column():
    output = nbformat.v4.new_output("display_data", data={"image/png": "abc.png", "text/plain": "T"},
                                    metadata={"image/png": {"width": 400, "height": 300},
                                              "execblocks": {"files": {"image/png": "abc.png"}}})
    html, rendered = render("```{python}\n#| fig-cap: Loss <falls>\n#| fig-alt: A curve\n#| label: fig-loss\n"
                            "#| column: page\nplot()\n```\n", [output])
    assert ('<figure class="cell-figure column-page" id="fig-loss">'
            '<a class="figure-zoom" href="{static}/results/a/abc.png"><picture>'
            '<img src="{static}/results/a/abc.png" alt="A curve" width="400" height="300" '
            'loading="lazy" decoding="async"></picture></a>') in html
    assert '<figcaption><span class="figure-number">Figure 1.</span> Loss &lt;falls&gt;</figcaption>' in html
    assert rendered.figures == ["abc.png"] and rendered.warnings == []


def test_figure_without_alt_or_caption_warns():
    output = nbformat.v4.new_output("display_data", data={"image/png": "abc.png", "text/plain": "Figure"},
                                    metadata={"execblocks": {"files": {"image/png": "abc.png"}}})
    _, rendered = render("```{python}\nplot()\n```\n", [output])
    assert rendered.warnings and "neither fig-alt nor fig-cap" in rendered.warnings[0]


def test_echo_false_hides_code_and_output_false_hides_output():
    html, _ = render("```{python}\n#| echo: false\n#| output: false\nprint(1)\n```\n",
                     [nbformat.v4.new_output("stream", name="stdout", text="1\n")])
    assert "cell-code" not in html and "print" not in html  # Quarto: echo false hides the code
    assert "cell-output" not in html


def test_html_output_is_sanitised():
    assert sanitize_html('<table class="df"><tr><td onclick="x()">1</td></tr></table><script>alert(1)</script>') \
        == '<table class="df"><tbody><tr><td>1</td></tr></tbody></table>'


def test_error_output_is_marked():
    error = nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                   traceback=["\x1b[31mZeroDivisionError\x1b[0m: division by zero"])
    html, _ = render("```{python}\n#| error: true\n1/0\n```\n", [error])
    assert ('<div class="cell-output cell-output-error" role="note"><pre><span class="ansi-red-fg">'
            'ZeroDivisionError</span>: division by zero</pre>') in html


def figure_output(name: str, dark: bool = True, width: int = 600):
    """A stored figure as the store leaves it: light and dark renditions, full and half size."""
    renditions = {"light": [{"file": f"{name}.png", "width": 2 * width}, {"file": f"{name}-half.png", "width": width}]}
    if dark:
        renditions["dark"] = [{"file": f"{name}-dark.png", "width": 2 * width},
                              {"file": f"{name}-dark-half.png", "width": width}]
    return nbformat.v4.new_output(
        "display_data", data={"image/png": f"{name}.png", "text/plain": "Figure"},
        metadata={"image/png": {"width": width, "height": 300},
                  "execblocks": {"figure": True, "files": {"image/png": f"{name}.png"}, "renditions": renditions}})


def test_figure_offers_responsive_renditions_a_dark_source_and_a_full_size_link():
    html, rendered = render("```{python}\n#| fig-cap: C\nplot()\n```\n", [figure_output("f", width=900)])
    base = "{static}/results/a/"
    assert f'<a class="figure-zoom" href="{base}f.png"><picture>' in html
    sizes = 'sizes="(max-width: 600px) calc(100vw - 2rem), 704px"'  # the text column is narrower than 900 px
    assert (f'<source media="screen and (prefers-color-scheme: dark)" srcset="{base}f-dark.png 1800w, '
            f'{base}f-dark-half.png 900w" {sizes}>') in html
    assert f'<img src="{base}f.png" srcset="{base}f.png 1800w, {base}f-half.png 900w" {sizes} alt="C"' in html
    assert sorted(rendered.figures) == ["f-dark-half.png", "f-dark.png", "f-half.png", "f.png"]


def test_fig_cap_list_captions_each_figure_and_fig_align_places_it():
    html, _ = render("```{python}\n#| fig-cap: [First, Second]\n#| fig-align: right\nplot()\n```\n",
                     [figure_output("a"), figure_output("b")])
    assert html.count('<figure class="cell-figure figure-align-right">') == 2
    assert '<span class="figure-number">Figure 1.</span> First</figcaption>' in html
    assert '<span class="figure-number">Figure 2.</span> Second</figcaption>' in html


def test_fig_subcap_with_layout_ncol_makes_one_figure_of_lettered_subfigures():
    html, rendered = render("```{python}\n#| label: fig-pair\n#| fig-cap: Both\n#| fig-subcap: [Left <1>, Right]\n"
                            "#| fig-alt: [A rising line, A falling line]\n"
                            "#| layout-ncol: 2\nplot()\n```\n", [figure_output("a"), figure_output("b")])
    assert 'alt="A rising line"' in html and 'alt="A falling line"' in html
    assert ('<figure class="cell-figure" id="fig-pair"><div class="figure-grid" style="--layout-ncol: 2">'
            '<figure class="cell-subfigure" id="fig-pair-1">') in html
    assert '<span class="subfigure-letter">(a)</span> Left &lt;1&gt;</figcaption>' in html
    assert '<figure class="cell-subfigure" id="fig-pair-2">' in html and "(b)</span> Right" in html
    assert html.count('class="figure-number"') == 1 and "Figure 1.</span> Both" in html
    assert rendered.warnings == []


def test_layout_ncol_with_a_caption_list_lays_out_separate_figures():
    html, _ = render("```{python}\n#| fig-cap: [One, Two, Three]\n#| layout-ncol: 3\nplot()\n```\n",
                     [figure_output(n) for n in "abc"])
    assert '<div class="figure-grid" style="--layout-ncol: 3"><figure class="cell-figure">' in html
    assert [f"Figure {n}.</span> {c}" in html for n, c in ((1, "One"), (2, "Two"), (3, "Three"))] == [True] * 3


def test_repr_svg_output_is_shown_as_an_image():
    output = nbformat.v4.new_output("execute_result", data={"image/svg+xml": "s.svg", "text/plain": "<obj>"},
                                    metadata={"execblocks": {"files": {"image/svg+xml": "s.svg"}}}, execution_count=1)
    html, _ = render("```{python}\n#| fig-alt: A drawing\nobj\n```\n", [output])
    assert '<img src="{static}/results/a/s.svg" alt="A drawing"' in html and "&lt;obj&gt;" not in html


def test_a_block_without_output_gets_no_provenance_line():
    html, _ = render("```{python}\nx = 1\n```\n", [])
    assert "cell-provenance" not in html


def test_pages_show_the_run_that_produced_the_outputs():
    """Provenance.shown (kept by the store while outputs stay the same) wins over the last run."""
    from execblocks.render.blocks import run_table

    html, rendered = render("```{python}\nprint(1)\n```\n", [nbformat.v4.new_output("stream", name="stdout", text="1\n")])
    entry = rendered.entry
    entry.provenance = Provenance("2026-12-01T00:00:00+00:00", 9.0, (9.0,),
                                  shown_run=Provenance("2026-11-25T10:00:00+00:00", 1.5, (0.25,)))
    table = run_table(rendered.article, entry)
    assert (table.device, table.versions, table.executed_on, table.total) == ("cpu", [("Python", "3.11.7")], "2026-11-25", "1.5 s")
    assert [(b.number, b.anchor, b.line, b.duration) for b in table.blocks] == [(1, "cell-1", 1, "250 ms")]


def test_the_run_table_links_only_blocks_that_are_on_the_page():
    from execblocks.render.blocks import run_table

    _, rendered = render("```{python}\n#| include: false\nx = 1\n```\n", [])
    (row,) = run_table(rendered.article, rendered.entry).blocks
    assert row.anchor is None and row.number == 1  # `include: false`: no #cell-1 to link to
