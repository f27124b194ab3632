"""What each corpus article's page must show, as its author saw it (Quarto's render,
JupyterLab, nbsphinx, MyST-NB). Part of the suite (marked slow: each case runs its kernel):

    .venv/bin/pytest -q tests/corpus/test_corpus.py            # every case (about 2.5 min here)
    .venv/bin/pytest -q tests/corpus/test_corpus.py -k hello   # one case

The selected cases build together, as one site, in a temp project with the repository's
settings (alone, each, when that build fails). Every page gets
the common checks (builds, titled, no Pandoc syntax printed as text, every figure through
the figure pipeline with real alt text, every image found); then the case's own checks.
Where a notebook was published with its outputs, those saved outputs are what its author
saw, and the page is compared with them (number of figures, printed text).
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

from corpus_build import CORPUS, Built, article_html, build, build_many, case_names, figures, tags
from support import outer_html, parse_html

pytestmark = pytest.mark.slow


def selected_cases(session: pytest.Session) -> list[str]:
    """The cases the selected tests of this module build: a `case` parameter, or a case
    named in the test's code."""
    wanted = set()
    for item in session.items:
        if item.module is not None and item.module.__name__ == __name__:
            params = getattr(getattr(item, "callspec", None), "params", {})
            source = inspect.getsource(item.function)
            wanted |= {c for c in case_names() if c == params.get("case") or f'"{c}"' in source}
    return sorted(wanted - set(STOPS))


@pytest.fixture(scope="module")
def built(request, tmp_path_factory):
    """built(case) -> Built. The selected cases build together, as one site, once (a
    Pelican run a case cost more than most cases' kernels); when that build fails, each
    case builds alone, so a broken case fails its own checks only."""
    cache: dict[str, Built | Exception] = {}
    together = selected_cases(request.session)
    if len(together) > 1:
        try:
            cache.update(build_many(together, tmp_path_factory.mktemp("corpus")))
        except Exception:
            pass  # built one by one below, each failure kept with its case

    def get(case: str) -> Built:
        if case not in cache:  # a case builds once; a failed build fails each of its checks
            try:
                cache[case] = build(case, tmp_path_factory.mktemp(case))
            except Exception as error:
                cache[case] = error
        if isinstance(cache[case], Exception):
            raise cache[case]
        return cache[case]

    return get


def saved_images(notebook: Path) -> int:
    """How many figures and charts the notebook's author saw (its saved outputs: an image,
    a Plotly or Vega-Lite bundle, or an Altair chart's HTML)."""
    cells = json.loads(notebook.read_text())["cells"]
    visual = {"image/png", "image/svg+xml", "application/vnd.plotly.v1+json"}
    return sum(1 for c in cells if c["cell_type"] == "code" for o in c.get("outputs", [])
               if visual & set(o.get("data", {})) or any("vegalite" in m for m in o.get("data", {}))
               or "vega-embed" in "".join(o.get("data", {}).get("text/html", "")))


def link_texts(html: str, target: str) -> list[str]:
    """Texts of the links that point at #target."""
    return [a.text.replace("\xa0", " ") for a in parse_html(html).find_all("a")
            if a.attrs.get("href", "").endswith(f"#{target}")]


def has_class(html: str, *words: str) -> bool:
    """Whether an element's class attribute holds each of `words`, in that order (parts of
    class names: "callout", "tip" match class="callout callout-tip")."""
    return any(re.search(".*".join(map(re.escape, words)), e.attrs.get("class", ""))
               for e in parse_html(html).iter())


# ---------------------------------------------------------------- every page


# Cases whose source cannot become a page here, by design: what the build must say instead.
STOPS = {"quarto-callouts-nb": "missing Title"}  # no header, no `# heading`: Pelican needs a title


@pytest.mark.parametrize("case", [c for c in case_names() if c not in STOPS])
def test_common(built, case):
    page = built(case)
    body = article_html(page.html)
    text = page.prose
    # Pandoc's fenced divs and attribute syntax never reach the reader as text.
    assert ":::" not in text, f"{case}: a fenced div printed as text"
    assert not re.search(r"\{#(fig|tbl|sec|eq)-[\w-]+\}", text), f"{case}: a Pandoc attribute printed"
    # matplotlib's repr is not alt text, and no figure escapes the figure pipeline.
    assert "<Figure size" not in body, f"{case}: a matplotlib repr on the page"
    for img in tags(body, "img"):
        assert img.get("alt", "").strip(), f"{case}: an image without alt text: {img.get('src')}"
        assert "base64," not in img.get("src", ""), f"{case}: an inline base64 image (bypassed the pipeline)"
        src = img["src"].split("#")[0]
        if not src.startswith(("http:", "https:", "data:")):
            assert (page.page.parent / src).resolve().exists(), f"{case}: image not found: {src}"
    tree = parse_html(body)
    # No empty caption: only labelled or captioned figures are numbered (as in Quarto).
    assert not any(re.fullmatch(r"\s*Figure\s+\d+(\([a-z]\))?[.:]?\s*", caption.text.replace("\xa0", " "))
                   for caption in tree.find_all("figcaption")), f"{case}: an empty 'Figure N.' caption"
    # Never an empty box where an output should be.
    assert not any(re.search("output|vega|plotly", div.attrs.get("class", "")) and not div.elements
                   and not div.text.strip() for div in tree.find_all("div")), f"{case}: an empty output box"


PUBLISHED_WITH_FIGURES = [c for c in case_names()
                          if any(saved_images(nb) for nb in (CORPUS / c).glob("*.ipynb"))]


@pytest.mark.parametrize("case", PUBLISHED_WITH_FIGURES)
def test_notebook_figures_match_saved_outputs(built, case):
    """A notebook published with its outputs: the page shows as many figures as its author saw."""
    expected = sum(saved_images(nb) for nb in (CORPUS / case).glob("*.ipynb"))
    page = built(case)
    body = article_html(page.html)
    assert len(tags(body, "picture")) + body.count("cell-output-chart") == expected


# ---------------------------------------------------------------- each case


def test_quarto_hello(built):
    page = built("quarto-hello")
    assert "<title>Quarto Basics" in page.html
    [figure] = figures(page.html)
    assert "A line plot on a polar axis" in figure and 'id="fig-polar"' in figure
    assert link_texts(page.html, "fig-polar") == ["Figure 1"]
    assert "<details" in article_html(page.html)  # format: html: code-fold: true


def test_quarto_inline_code(built):
    """Quarto's inline-code guide shows the syntax without running it: ``{python} x`` (a code
    span of two backticks) and the fenced examples stay text. Before, the two-backtick span
    was taken for an inline value and the build failed: NameError: name 'x' is not defined."""
    page = built("quarto-inline-code")
    body = article_html(page.html)
    assert "inline-value" not in body
    codes = [code.text for code in parse_html(body).iter() if code.tag == "code"]
    assert "``{python} x``" in codes and "`{{{python}}} x`" in codes, codes


def test_quarto_demo_basics(built):
    page = built("quarto-demo-basics")
    body = article_html(page.html)
    # the callout: a box of kind tip whose title is its ## heading, not a section of the article
    assert has_class(body, "callout", "tip")
    assert not any(h2.text.strip().startswith("Learn more") for h2 in parse_html(body).find_all("h2")), \
        "a callout's title became a heading"
    assert "Learn more" in page.text
    assert "<table" in body and "one" in page.text  # the DataFrame
    assert len(tags(body, "picture")) == 1  # the bar chart, through the figure pipeline
    assert "Scores broken out by group and gender" in tags(body, "img")[0]["alt"]
    # the ipyleaflet map: interactive, drawn from the run's stored widget state by the widget
    # manager and jupyter-leaflet's own bundle, both shipped with the site; never its text repr
    assert "Map(" not in page.prose and "Layout(" not in page.prose
    [widget] = outer_html(body, "figure", cls="cell-output-widget")
    assert 'aria-label="A Map widget"' in widget
    [view] = [s for s in parse_html(widget).find_all("script") if "widget-view+json" in s.attrs.get("type", "")]
    [state] = [s for s in parse_html(page.html).find_all("script") if "widget-state+json" in s.attrs.get("type", "")]
    view, state = json.loads(view.text), json.loads(state.text)["state"]
    assert state[view["model_id"]]["model_name"] == "LeafletMapModel"
    assert any(m["model_name"] == "LeafletMarkerModel" for m in state.values())
    assert not [w for w in page.warnings if "widget" in w]
    theme = page.output / "theme"
    assert (theme / "widgets/modules/jupyter-leaflet/index.js").is_file()
    assert (theme / "widgets/html-manager/libembed-amd.js").is_file() and (theme / "widgets/require.js").is_file()
    # no chart on this page: it loads no chart library (test_a_site_without_charts_... checks the files)
    assert not any("plotly" in s.get("src", "") or "vega" in s.get("src", "") for s in tags(page.html, "script"))
    assert 'class="katex' in body



def test_a_site_without_charts_ships_no_chart_library(tmp_path):
    """The cases above build as one site, which has charts; this one builds alone."""
    page = build("quarto-hello", tmp_path)
    assert (page.output / "theme").is_dir()
    assert not (page.output / "theme" / "plotly").exists() and not (page.output / "theme" / "vega").exists()

def test_quarto_demo_crossref(built):
    page = built("quarto-demo-crossref")
    assert link_texts(page.html, "fig-scores") == ["Figure 1"]
    assert link_texts(page.html, "fig-multiple-1") == ["Figure 2(a)"]
    assert link_texts(page.html, "fig-multiple-2") == ["Figure 2(b)"]
    subs = figures(page.html)[1]
    assert 'id="fig-multiple-1"' in subs and 'id="fig-multiple-2"' in subs
    assert "First" in subs and "Second" in subs and "Multiple" in subs
    # the Markdown table printed by tabulate, with its Pandoc caption
    assert "Table: Here is the Caption" not in page.prose
    assert re.search(r"Table\s*1\W+Here is the Caption", page.text)
    assert link_texts(page.html, "tbl-mytable") == ["Table 1"]


def test_quarto_demo_layout(built):
    page = built("quarto-demo-layout")
    body = article_html(page.html)
    pictures = tags(body, "img")
    # plt.show() ends a figure: two figures, side by side, not one figure with both lines
    assert len(tags(body, "picture")) == 2 and pictures[0]["src"] != pictures[1]["src"]
    # the layout-ncol div holds two tables side by side
    layouts = [div for div in parse_html(body).find_all("div")
               if any("layout-ncol" in v or "columns" in v for v in div.attrs.values())]
    assert any(len(div.find_all("table")) >= 2 for div in layouts), "the two tables are not in one layout"


def test_quarto_figure_examples(built):
    page = built("quarto-figure-examples")
    body = article_html(page.html)
    assert 'id="fig-elephants"' in body and 'id="fig-surus"' in body and 'id="fig-hanno"' in body
    assert re.search(r"Figure\s*1\W+Famous Elephants", page.text)
    assert "(a)" in page.text and "Surus" in page.text and "(b)" in page.text
    # the fence with text after its info string is a code block, and nothing after it is swallowed
    tree = parse_html(body)
    code = [pre.text for pre in tree.find_all("pre")]
    assert code and "quarto render _examples.qmd --to pdf" in code[0]
    headings = [h2.text for h2 in tree.find_all("h2")]
    assert any("Figure Basics" in h for h in headings) and any("Vertical Alignment" in h for h in headings)
    assert len(tags(body, "img")) == 17  # every image of the guide: 1 + 2 + 2 + 4 + 3 + 3 + 2


def test_quarto_computations(built):
    page = built("quarto-computations")
    body = article_html(page.html)
    assert "<title>Quarto Computations" in page.html
    assert "array([[ 0,  1,  2,  3,  4]" in page.text.replace("\n", " ") or "[ 0, 1, 2, 3, 4]" in page.text
    assert len(tags(body, "picture")) == 1  # the errorbar figure
    # the Plotly chart: drawn by the plotly.js shipped with the site, loaded only here
    assert has_class(body, "plotly")
    scripts = [s.get("src", "") for s in tags(page.html, "script")]
    assert any("plotly" in s for s in scripts) and not any(s.startswith(("http:", "https:", "//")) for s in scripts)


def test_quarto_layout_nb(built):
    page = built("quarto-layout-nb")
    assert "<title>Quarto Layout" in page.html
    assert len(tags(article_html(page.html), "picture")) == 1
    assert "Matplotlib Gallery" in page.text  # the footnote, as a sidenote


def test_quarto_crossref_nb(built):
    page = built("quarto-crossref-nb")
    assert link_texts(page.html, "fig-simple") == ["Figure 1"]
    assert link_texts(page.html, "eq-stddev") == ["Equation 1"]
    assert link_texts(page.html, "sec-plot")  # "Section N"


def test_quarto_callouts_nb(tmp_path):
    """No title anywhere: the build says so, naming the ways a notebook can have one (the
    callout itself is checked in tests/unit/test_divs.py)."""
    with pytest.raises(AssertionError) as stopped:
        build("quarto-callouts-nb", tmp_path)
    message = str(stopped.value)
    assert STOPS["quarto-callouts-nb"] in message and "callouts.ipynb" in message
    assert "`# Title`" in message and "`pelican` mapping" in message


def test_quarto_penguins(built):
    page = built("quarto-penguins")
    body = article_html(page.html)
    assert "<title>Palmer Penguins (.ipynb)" in page.html
    assert "<table" in body and "Chinstrap" in page.text
    alts = [img["alt"] for img in tags(body, "img")]
    assert "A density plot of bill ratio by species." in alts  # fig-alt, uncaptioned: not numbered
    assert "Density plot of bill depth by species." in alts and "Density plot of bill length by species." in alts
    assert re.search(r"Figure\s*1\W+Marginal distributions of bill dimensions", page.text)
    # the Altair chart: a numbered, captioned, interactive figure
    assert re.search(r"Figure\s*2\W+A scatterplot of bill dimensions", page.text)
    assert has_class(body, "vega")
    scripts = [s.get("src", "") for s in tags(page.html, "script")]
    assert any("vega" in s for s in scripts)


def test_pdsh_numpy_basics(built):
    page = built("pdsh-numpy-basics")
    assert "<title>The Basics of NumPy Arrays" in page.html
    assert "array([5, 0, 3, 3, 7, 9])" in page.text or "x1" in page.text


def test_pdsh_line_plots(built):
    page = built("pdsh-line-plots")
    body = article_html(page.html)
    assert "<title>Simple Line Plots" in page.html
    assert len(tags(body, "picture")) == 14
    # through the pipeline: a phone rendition and a dark twin for each
    assert sum("prefers-color-scheme: dark" in s.get("media", "") for s in tags(body, "source")) == 14
    assert "Figure 1" not in page.text  # uncaptioned figures are not numbered
    assert sum("uncaptioned" in w or "alt text" in w for w in page.warnings) <= 1  # once per article


def test_pdsh_feature_engineering(built):
    page = built("pdsh-feature-engineering")
    body = article_html(page.html)
    assert "<title>Feature Engineering" in page.html
    assert body.count("<table") >= 2
    assert len(tags(body, "picture")) == 3


def test_nbsphinx_hidden_cells(built):
    page = built("nbsphinx-hidden-cells")
    assert "<title>Hidden Cells" in page.html
    assert "42" in page.text  # the hidden cell ran
    assert "answer = 6 * 7" not in page.text and "I am a hidden Markdown cell" not in page.text


def test_nbsphinx_allow_errors(built):
    page = built("nbsphinx-allow-errors")
    assert "<title>Ignoring Errors on a Per-Cell Basis" in page.html
    assert "NameError" in page.text  # the tagged cell's error is shown, the build goes on
    assert page.text.count("'no problem'") >= 2


def test_nbsphinx_cell_tag(built):
    page = built("nbsphinx-cell-tag")
    imgs = tags(article_html(page.html), "img")
    assert len(imgs) == 2
    for img in imgs:  # figsize=[6, 3]
        assert abs(int(img["width"]) / int(img["height"]) - 2) < 0.15


def test_mystnb_hide_cell_content(built):
    page = built("mystnb-hide-cell-content")
    body = article_html(page.html)
    assert "<title>Hide Code Cell Content" in page.html
    folds = parse_html(body).find_all("details")
    # hide-input folds the code, hide-output the output, hide-cell both: 1 + 1 + 2 x 1 folds at least
    assert len(folds) >= 4
    assert any('print("hide-input")' in fold.text or "hide-input" in fold.attrs.get("class", "") for fold in folds)
    assert "My show message" in body
