"""plugins/reading's HTML transforms, on the markup Python-Markdown and Pygments produce."""

import markdown
import pytest

from reading.feed import clean_for_feed
from reading.regions import mark_scroll_regions, number_regions
from reading.tables import mark_numeric_cells
from reading.sidenotes import to_sidenotes
from reading.text import plain_text
from reading.toc import outline, raise_headings

EXTENSIONS = ["extra", "codehilite", "toc"]


def md(text: str) -> str:
    return markdown.markdown(text, extensions=EXTENSIONS, extension_configs={
        "toc": {"permalink": "#"}, "codehilite": {"css_class": "highlight"}})  # as pelicanconf.py


def test_code_output_and_tables_become_named_keyboard_regions():
    html = mark_scroll_regions(md("```python\nx = 1\n```\n\n| a |\n|---|\n| 1 |\n")
                               + '<div class="cell-output cell-output-stdout"><pre>out</pre></div>'
                               + '<div class="cell-output cell-output-display"><table class="dataframe"></table></div>'
                               + '<div class="cell-output cell-output-display"><pre class="json">{}</pre></div>'
                               + '<div class="cell-output cell-output-display"><svg></svg></div>')
    assert '<div class="highlight"><pre tabindex="0" role="region" aria-label="Code">' in html
    assert '<div class="cell-output cell-output-stdout"><pre tabindex="0" role="region" aria-label="Output">' in html
    assert '<div class="cell-output cell-output-display" tabindex="0" role="region" aria-label="Output"><svg>' in html
    assert '<div class="table-scroll" tabindex="0" role="region" aria-label="Table"><table>' in html
    # A block's table (with its attributes) gets the table's box, not a second region around it.
    assert ('<div class="cell-output cell-output-display"><div class="table-scroll" tabindex="0" role="region" '
            'aria-label="Table"><table class="dataframe"></table></div></div>') in html
    assert mark_scroll_regions(html) == html  # idempotent: never two tabindex attributes


def test_repeated_region_names_are_numbered_in_reading_order():
    html = mark_scroll_regions(md("```python\nx = 1\n```\n\n```python\ny = 2\n```\n\n| a |\n|---|\n| 1 |\n"))
    named = number_regions(html)
    assert named.index('aria-label="Code 1"') < named.index('aria-label="Code 2"')
    assert 'aria-label="Table"' in named and 'aria-label="Table 1"' not in named  # only one: no number
    assert number_regions(named) == named


def test_footnotes_become_sidenotes_after_their_reference():
    html = to_sidenotes(md("A claim.[^a] More.\n\n[^a]: See *this*.\n"))
    assert ('<sup id="fnref:a"><a class="footnote-ref sidenote-ref" href="#sn-a">1</a></sup>'
            '<span class="sidenote" id="sn-a" role="note"><span class="sidenote-number">1</span> '
            'See <em>this</em>.</span> More.') in html
    assert "footnote-backref" not in html and 'class="footnote"' not in html


def test_a_footnote_with_a_list_stays_a_footnote():
    html = to_sidenotes(md("A.[^a] B.[^b]\n\n[^a]: Short.\n[^b]: Items:\n\n    - one\n    - two\n"))
    assert 'id="sn-a"' in html and 'id="sn-b"' not in html
    assert '<li id="fn:b">' in html and '<li id="fn:a">' not in html


def test_outline_lists_h2_h3_and_raises_an_article_that_starts_at_h3():
    html = raise_headings(md("### One\n\n#### One, a\n\n##### deep\n\n### Two & more\n"))
    assert "<h2" in html and "<h3" in html and "<h4" in html and "<h5" not in html
    found = outline(html)
    assert [(e.level, e.anchor, e.title) for e in found.entries] == [
        (2, "one", "One"), (3, "one-a", "One, a"), (2, "two-more", "Two & more")]
    assert found.top_level == 2 and found.show_toc


def test_feed_and_descriptions_lose_page_furniture():
    katex = ('<span class="katex"><span class="katex-mathml"><math><semantics><mi>x</mi>'
             '<annotation encoding="application/x-tex">x^2</annotation></semantics></math></span>'
             '<span class="katex-html" aria-hidden="true"><span class="base"><span>x</span></span></span></span>')
    html = (f'<h2 id="a">A<a class="headerlink" href="#a" title="Permanent link">#</a></h2><p>Is {katex}.</p>'
            '<p class="cell-provenance"><a href="#run-details">1 s · cpu</a></p>')
    feed = clean_for_feed(html)
    assert feed == ('<h2 id="a">A</h2><p>Is <span class="katex"><span class="katex-mathml"><math><semantics>'
                    '<mi>x</mi><annotation encoding="application/x-tex">x^2</annotation></semantics></math>'
                    '</span></span>.</p>')
    assert plain_text(html) == "A#Is x^2.1 s · cpu"


def test_feed_links_within_the_article_are_absolute():
    html = '<p>As <a class="citation-link" href="#ref-a">A</a> and <a href="https://x.org/#y">x</a>.</p>'
    feed = clean_for_feed(html, "https://blog.example/post.html")
    assert 'href="https://blog.example/post.html#ref-a"' in feed
    assert 'href="https://x.org/#y"' in feed
    assert clean_for_feed(html) == html  # no address known: left as it was
    figure = ('<div class="figure-media"><a class="figure-zoom" href="a.png"><img src="a.png" alt="A"></a>'
              '<a class="figure-zoom-dark" href="a-dark.png" aria-label="A" hidden></a></div>')
    assert "a-dark.png" not in clean_for_feed(figure) and 'href="a.png"' in clean_for_feed(figure)


def test_the_outline_includes_headings_with_attributes_before_their_id():
    html = md("## One\n\n## Two\n\n") + '<section><h2 class="unnumbered" id="references">References</h2></section>'
    assert [e.anchor for e in outline(html).entries] == ["one", "two", "references"]


def test_the_markdown_extension_finishes_each_document_as_it_is_read(tmp_path):
    """ReadingExtension runs after Markdown's own postprocessors (raw HTML restored, footnotes
    done): a block's output box from the stash is made a region, footnotes are sidenotes,
    headings raised; known formulas come from the cache (no node), a rejected one waits to be
    located in its file and leaves the document as it was."""
    from pathlib import Path

    from reading.extension import MathRun, ReadingExtension
    from reading.mathcache import FormulaCache

    cache = FormulaCache(tmp_path / "katex.json", (Path(__file__),))
    cache.put("x^2", False, '<span class="katex">X2</span>')
    math = MathRun(Path("/nonexistent/katex.min.js"), cache)
    converter = markdown.Markdown(extensions=[*EXTENSIONS, "pymdownx.arithmatex", ReadingExtension(math)],
                                  extension_configs={"toc": {"permalink": "#"}, "pymdownx.arithmatex": {"generic": True}})
    html = converter.convert("### One\n\nA claim $x^2$.[^a]\n\n"
                             '<div class="cell-output cell-output-stdout"><pre>out</pre></div>\n\n'
                             "### Two\n\n[^a]: See *this*.\n")
    assert '<h2 id="one">' in html and "<h3" not in html
    assert '<span class="sidenote" id="sn-a" role="note">' in html and 'class="footnote"' not in html
    assert '<div class="cell-output cell-output-stdout"><pre tabindex="0" role="region" aria-label="Output">' in html
    assert '<span class="arithmatex"><span class="katex">X2</span></span>' in html
    assert math.errors == [] and math.unplaced == []
    cache.save()
    assert (tmp_path / "katex.json").is_file()


def test_a_rejected_formula_is_blamed_on_the_document_whose_source_holds_it(tmp_path):
    """A document whose reader fails after its Markdown ran never becomes a page: its
    rejected formula must not be located in the next document that does."""
    from pathlib import Path

    from reading.extension import MathRun
    from reading.mathcache import FormulaCache
    from reading.mathrender import Formula, MathError

    first, second = tmp_path / "first.md", tmp_path / "second.md"
    first.write_text("Title: First\n\nA bad one: $\\frac{1}$.\n")
    second.write_text("Title: Second\n\nNo math.\n")
    math = MathRun(Path("/nonexistent/katex.min.js"), FormulaCache(None, ()))
    math.unplaced.append((Formula("\\frac{1}", False), "Expected group after '\\frac'"))
    math.locate(str(second))  # the next page: not its formula
    assert math.errors == [] and len(math.unplaced) == 1
    math.locate(str(first))
    assert math.unplaced == [] and str(math.errors[0]).startswith(f"{first}:3: Expected group")
    with pytest.raises(MathError):
        math.raise_first()


def test_cells_holding_only_numbers_are_marked():
    html = mark_numeric_cells("<tr><td>30.4 % (29.8–31.5 %)</td><td>-1.06 / -0.00 / +1.06</td><td>4.5e+08</td>"
                              "<td>with BN</td><td>lr 0.5</td><td>—</td><td><code>1</code></td></tr>")
    assert html == ('<tr><td class="num"><span class="nb">30.4 %</span> <span class="nb">(29.8–31.5 %)</span></td>'
                    '<td class="num"><span class="nb">-1.06 /</span> <span class="nb">-0.00 /</span> '
                    '<span class="nb">+1.06</span></td>'
                    '<td class="num">4.5e+08</td><td>with BN</td><td>lr 0.5</td><td>—</td><td><code>1</code></td></tr>')


def test_plain_text_leaves_out_a_charts_spec_and_a_widgets_state():
    # The reading time counts these words: a widget's stored state is data, not text.
    html = ('<p>A map.</p><figure><p class="widget-fallback">A Map widget</p>'
            '<script type="application/vnd.jupyter.widget-view+json">{"model_id": "widget-1"}</script></figure>'
            '<script type="application/vnd.jupyter.widget-state+json">{"state": {"widget-1": {"a": "b c d"}}}</script>')
    assert plain_text(html).split() == ["A", "map.A", "Map", "widget"]
