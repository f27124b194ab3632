"""bibfile + bibrefs: a .bib read in bounded time and memory, every problem at file:line
with the entry named, and the LaTeX in fields rendered as Pandoc renders it."""

from pathlib import Path

import pytest

from execblocks.references.bibfile import MAX_BRACE_DEPTH, MAX_VALUE_CHARS, parse_bib, read_bib
from execblocks.references.bibrefs import latex_text, load_source, to_html
from execblocks.errors import ArticleSyntaxError
from execblocks.source.header import read_header

DATA = Path(__file__).parent / "data"
STYLE = Path(__file__).resolve().parents[2] / "plugins" / "execblocks" / "references" / "csl" / "harvard-cite-them-right.csl"


def error_of(text: str) -> ArticleSyntaxError:
    with pytest.raises(ArticleSyntaxError) as caught:
        parse_bib(text, "content/refs.bib")
    return caught.value


def rendered(text: str, tmp_path) -> list[str]:
    """The References entries citeproc makes from `text`, in the site's style."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter

    path = tmp_path / "refs.bib"
    path.write_text(text, encoding="utf-8")
    source, _ = load_source([path], ["content/refs.bib"])
    engine = CitationStylesBibliography(CitationStylesStyle(str(STYLE), validate=False), source, formatter.html)
    for key in source:
        engine.register(Citation([CitationItem(key)]))
    engine.sort()
    return [to_html(str(entry)) for entry in engine.bibliography()]


def test_the_projects_bibliography_reads_with_lines_and_fields():
    entries = read_bib(DATA / "refs.bib", "tests/unit/data/refs.bib")
    assert [e.key for e in entries][:2] == ["ioffe2015", "santurkar2018"]
    first = entries[0]
    assert (first.type, first.line, first.field_lines["title"]) == ("inproceedings", 1, 3)
    assert first.fields["pages"] == "448--456"


def test_a_last_entry_without_its_closing_brace_is_an_error_at_its_line():
    # citeproc-py's parser spun forever on this.
    text = "@article{a,\n  title={Good},\n  year={2015}\n}\n\n@article{b,\n  title={Bad},\n  year={2016}\n"
    error = error_of(text)
    assert error.line == 6 and "entry 'b'" in str(error) and "never closed" in str(error)
    assert str(error).startswith("content/refs.bib:6: ")


def test_a_field_missing_its_brace_is_found_before_the_next_entry():
    text = "@article{a,\n  title={Open,\n  year={2015}\n}\n@article{b, title={B}}\n"
    error = error_of(text)
    assert error.line == 2 and "entry 'a'" in str(error) and "line 5" in str(error)


def test_an_entry_missing_its_closing_brace_before_the_next_entry():
    error = error_of("@article{a,\n  title={A},\n@article{b, title={B}}\n")
    assert error.line == 3 and "entry 'a'" in str(error) and "opened at line 1 is not closed before the next one" \
        in str(error)


@pytest.mark.parametrize("text, line, words", [
    ("@article{a, title={x}}}\n@article{a, title={y}}\n", 2, "used twice (lines 1 and 2)"),
    ("@article{a,\n title={x},\n title={y}}\n", 3, "field 'title' is given twice"),
    ("@article{a,\n title = nosuchstring}\n", 2, "'nosuchstring' is not an @string"),
    ("@article{a,\n title {x}}\n", 2, "'title' must be followed by '='"),
    ("@article{a,\n title = {x} year = {1}}\n", 2, "must be followed by ',' or '}'"),
    ("@article{a,\n title = \"x}\"}\n", 2, "closes nothing"),
    ("@article{,\n title = {x}}\n", 1, "has no key"),
    ("@article{a,\n title = \n", 2, "has no value"),
    ("@article{a,\n title = {x},\n note = {nul\x00}}\n", 3, "control character (U+0000)"),
])
def test_syntax_errors_name_the_line_and_what_to_do(text, line, words):
    error = error_of(text)
    assert error.line == line and words in str(error), str(error)


def test_string_doubling_bomb_stops_at_the_value_cap():
    lines = ['@string{s0 = "xxxxxxxxxxxxxxxx"}']
    lines += [f"@string{{s{i} = s{i - 1} # s{i - 1}}}" for i in range(1, 64)]
    lines.append("@article{a, title = s63}")
    error = error_of("\n".join(lines))
    assert f"@string 's13' is longer than {MAX_VALUE_CHARS:,} characters" in str(error)
    assert error.line == 14  # 16 * 2**13 > 100,000: the first @string past the cap


def test_many_fields_each_under_the_cap_stop_at_the_total_cap():
    big = "x" * (MAX_VALUE_CHARS - 10)
    text = f'@string{{big = "{big}"}}\n' + "".join(f"@misc{{k{i}, note = big}}\n" for i in range(400))
    error = error_of(text)
    assert "add up to more than" in str(error) and "entry 'k" in str(error)


def test_deep_braces_are_refused_before_the_latex_converter_recurses():
    text = "@misc{a, title = {" + "{" * (MAX_BRACE_DEPTH + 1) + "x" + "}" * (MAX_BRACE_DEPTH + 2) + "}\n"
    assert "nest more than" in str(error_of(text))


def test_comments_preambles_strings_and_parentheses():
    text = ("% a comment line with @ in it\n@comment{ @article{old, title={x}} }\n"
            "@preamble{\"\\newcommand{\\noop}[1]{}\"}\n@STRING(j = \"J. \" # {ML})\n"
            "@Article(k1, journal = j # \" Res.\", year = 2020, month = mar,)\n")
    [entry] = parse_bib(text, "refs.bib")
    assert (entry.key, entry.type, entry.line) == ("k1", "article", 5)
    assert entry.fields == {"journal": "J. ML Res.", "year": "2020", "month": "march"}


def test_a_file_that_is_not_utf8_is_named_with_its_line(tmp_path):
    path = tmp_path / "refs.bib"
    path.write_bytes(b"@misc{a,\n title = {caf\xe9}}\n")
    with pytest.raises(ArticleSyntaxError) as caught:
        read_bib(path, "content/refs.bib")
    assert caught.value.line == 2 and "not UTF-8" in str(caught.value)


@pytest.mark.parametrize("latex, text", [
    (r"\emph{Deep} nets", "\ue000Deep\ue001 nets"),
    (r"\textit{Deep} nets", "\ue000Deep\ue001 nets"),
    (r"{\em Deep} nets", "\ue000Deep\ue001 nets"),
    (r"{\it Deep nets}", "\ue000Deep nets\ue001"),
    (r"\textbf{B} and {\bf C}", "\ue002B\ue003 and \ue002C\ue003"),
    (r"Schr\"odinger, \'{e}t\'e, \c{c}a, \ss, \o", "Schrödinger, été, ça, ß, ø"),
    (r"50\% \& \$5 \_x \#1", "50% & $5 _x #1"),
    (r"pp. 1--2, yes---no", "pp. 1–2, yes—no"),
    ("two\n   lines", "two lines"),
    (r"see \url{https://a.org/x_y}", "see https://a.org/x_y"),
    (r"\href{https://a.org}{the text}", "the text"),
    (r"cut \href", "cut"),
    ("forged \ue000marker", "forged marker"),
])
def test_latex_in_fields_becomes_text_as_pandoc_renders_it(latex, text):
    assert latex_text(latex) == text


def test_emphasis_accents_and_escapes_reach_the_reference_list(tmp_path):
    text = (r"@article{a, author = {M{\k a}dry, Aleksander and Schr\"{o}dinger, Erwin}," "\n"
            r"  title = {\emph{Deep} nets by {\em brace} and \textit{it}: {BatchNorm} \& caf\'e}," "\n"
            r"  journal = {J}, year = {2018}, pages = {1--9}}" "\n")
    [entry] = rendered(text, tmp_path)
    assert "Mądry, A. and Schrödinger, E. (2018)" in entry
    assert "“<i>Deep</i> nets by <i>brace</i> and <i>it</i>: BatchNorm &amp; café”" in entry
    assert "pp. 1–9" in entry


def test_forged_markers_and_html_in_a_field_stay_text(tmp_path):
    [entry] = rendered("@misc{a, author = {A, B}, title = {\ue000x <script>alert(1)</script>}, year = 2020}\n",
                       tmp_path)
    assert "<i>x" not in entry and "<script>" not in entry and "&lt;script&gt;" in entry


def test_unknown_entry_type_is_an_error_at_the_entry(tmp_path):
    path = tmp_path / "refs.bib"
    path.write_text("\n@nonsense{a, title={x}}\n", encoding="utf-8")
    with pytest.raises(ArticleSyntaxError) as caught:
        load_source([path], ["content/refs.bib"])
    assert caught.value.line == 2 and "unknown entry type @nonsense" in str(caught.value)


def test_dates_from_year_month_or_date_and_urls_kept_only_when_plain_http(tmp_path):
    path = tmp_path / "refs.bib"
    path.write_text("@online{a, title={A}, date={2019-04-02}, url={https://x.org/a}}\n"
                    "@misc{b, title={B}, year={2015}, month=sep, url={javascript:alert(1)}}\n"
                    "@misc{c, title={C}, year={in press}}\n", encoding="utf-8")
    source, urls = load_source([path], ["refs.bib"])
    assert {k: source["a"]["issued"][k] for k in ("year", "month", "day")} == {"year": 2019, "month": 4, "day": 2}
    assert (source["b"]["issued"]["year"], source["b"]["issued"]["month"]) == (2015, 9)
    assert "day" not in source["b"]["issued"]
    assert "issued" not in source["c"]
    assert urls == {"a": "https://x.org/a"}


def test_an_articles_bibliography_errors_at_the_bib_files_line(tmp_path):
    from execblocks.references.citations import bibliography_for

    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "refs.bib").write_text("@article{a, title={A}, year=2015}\n\n@article{b,\n  title={B",
                                                   encoding="utf-8")
    with pytest.raises(ArticleSyntaxError) as caught:
        bibliography_for(read_header(["Title: A", "Bibliography: refs.bib", "", "[@a]"], "content/a.md"),
                         tmp_path / "content" / "a.md", "content/a.md", {}, tmp_path)
    assert str(caught.value).startswith("content/refs.bib:4: entry 'b': the '{' opened at line 4 is never closed")


def test_emphasis_in_a_cited_title_reaches_the_page_as_italics(tmp_path):
    import markdown

    from execblocks.references.citations import bibliography_for
    from execblocks.references.crossref import ReferencesExtension

    (tmp_path / "refs.bib").write_text(
        "@article{a, author={Ioffe, Sergey and M{\\k a}dry, A.}, year=2015, journal={J},\n"
        " title={\\emph{Batch} {\\em normalization} \\textit{now} <img src=x onerror=alert(1)>}}\n", encoding="utf-8")
    text = "Title: A\nBibliography: refs.bib\n\nAs @a show [@a].\n"
    bib = bibliography_for(read_header(text.split("\n"), "a.md"), tmp_path / "a.md", "a.md", {}, tmp_path)
    html = markdown.Markdown(extensions=["extra", ReferencesExtension("a.md", text, bib)]).convert(text)
    assert 'href="#ref-a">Ioffe and Mądry (2015)</a>' in html
    assert "“<i>Batch</i> <i>normalization</i> <i>now</i> &lt;img src=x onerror=alert(1)&gt;”" in html
    assert "<img" not in html
