"""render: Markdown with stored results -> HTML, without executing anything."""

import nbformat
import markdown

from execblocks.parse import parse_text
from execblocks.render import ExecBlocksExtension, RenderedArticle, sanitize_html
from execblocks.record import Environment, InlineValue, Provenance, Record
from execblocks.store import StoredEntry

from pathlib import Path

ROOT = Path("/project")


def render(text: str, outputs: list):
    article = parse_text(text, ROOT / "content/a.md", ROOT, ROOT / "content")
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(article.blocks[0].code)
    cell.metadata["execblocks"] = {"block": 0}
    cell.outputs = outputs
    nb.cells = [cell]
    record = Record("content/a.md", "k", "python3", (), (InlineValue("x", "<42>"),), {},
                    Environment("cpu", {"python": "3.11.7"}, {}))
    entry = StoredEntry("a", ROOT / "results/a", record, Provenance("2026-11-25T10:00:00+00:00", 0.25, (0.25,)), None)
    entry.notebook = lambda: nb
    rendered = RenderedArticle(article, entry)
    html = markdown.markdown(text, extensions=["fenced_code", ExecBlocksExtension(rendered)])
    return html, rendered


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
    assert ('<figure class="cell-figure column-page" id="fig-loss"><img src="{static}/results/a/abc.png" '
            'alt="A curve" width="400" height="300" loading="lazy">') in html
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
    assert '<div class="cell-output cell-output-error" role="note"><pre>ZeroDivisionError: division by zero</pre>' in html


def test_a_block_without_output_gets_no_provenance_line():
    html, _ = render("```{python}\nx = 1\n```\n", [])
    assert "cell-provenance" not in html


def test_pages_show_the_run_that_produced_the_outputs():
    """Provenance.shown (kept by the store while outputs stay the same) wins over the last run."""
    from execblocks.render import run_table

    html, rendered = render("```{python}\nprint(1)\n```\n", [nbformat.v4.new_output("stream", name="stdout", text="1\n")])
    entry = rendered.entry
    entry.provenance = Provenance("2026-12-01T00:00:00+00:00", 9.0, (9.0,),
                                  shown_run=Provenance("2026-11-25T10:00:00+00:00", 1.5, (0.25,)))
    table = run_table(rendered.article, entry)
    assert (table.device, table.versions, table.executed_on, table.total) == ("cpu", [("Python", "3.11.7")], "2026-11-25", "1.5 s")
    assert [(b.number, b.anchor, b.line, b.duration) for b in table.blocks] == [(1, "cell-1", 1, "250 ms")]


def test_the_run_table_links_only_blocks_that_are_on_the_page():
    from execblocks.render import run_table

    _, rendered = render("```{python}\n#| include: false\nx = 1\n```\n", [])
    (row,) = run_table(rendered.article, rendered.entry).blocks
    assert row.anchor is None and row.number == 1  # `include: false`: no #cell-1 to link to
