"""Block options with Quarto's names and meanings: one test per option, parse and render."""

from pathlib import Path

import markdown
import nbformat
import pytest

from execblocks.errors import ArticleSyntaxError
from execblocks.source.parse import parse_text
from execblocks.render.blocks import ExecBlocksExtension, RenderedArticle, run_table
from execblocks.store.records import Environment, Provenance, Record
from execblocks.store.results_folder import StoredEntry

ROOT = Path("/project")
CONTENT = ROOT / "content"


def parse(text: str, defaults: dict | None = None):
    return parse_text(text, CONTENT / "a.md", ROOT, CONTENT, defaults)


def options(option_lines: str, defaults: dict | None = None):
    return parse(f"```{{python}}\n{option_lines}\nx = 1\n```\n", defaults).blocks[0].options


def render(option_lines: str, outputs: list, code: str = "x = 1") -> str:
    text = f"Prose.\n\n```{{python}}\n{option_lines}\n{code}\n```\n"
    article = parse(text)
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(article.blocks[0].code)
    cell.metadata["execblocks"] = {"block": 0}
    cell.outputs = outputs
    nb.cells = [cell]
    record = Record("content/a.md", "k", "python3", (), (), {}, Environment("cpu", {}, {}))
    entry = StoredEntry("a", ROOT / "results/a", record, Provenance("2026-11-25T10:00:00+00:00", 0.1, (0.1,)), None)
    entry.notebook = lambda: nb
    return markdown.markdown(text, extensions=[ExecBlocksExtension(RenderedArticle(article, entry))])


def stdout(text: str):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def stderr(text: str):
    return nbformat.v4.new_output("stream", name="stderr", text=text)


# --- include ---------------------------------------------------------------------------

def test_include_false_shows_nothing_but_still_runs():
    assert options("#| include: false").eval is True
    html = render("#| include: false", [stdout("hidden\n")])
    assert "cell" not in html and "hidden" not in html and "x = 1" not in html
    assert "<p>Prose.</p>" in html


def test_include_false_block_is_not_linked_from_the_run_table():  # it has no cell on the page
    article = parse("```{python}\n#| include: false\nx = 1\n```\n\n```{python}\n#| label: shown\nx\n```\n")
    record = Record("content/a.md", "k", "python3", (), (), {}, Environment("cpu", {}, {}))
    entry = StoredEntry("a", ROOT / "results/a", record,
                        Provenance("2026-11-25T10:00:00+00:00", 0.2, (0.1, 0.1)), None)
    assert [b.anchor for b in run_table(article, entry).blocks] == [None, "cell-shown"]


# --- echo ------------------------------------------------------------------------------

def test_echo_true_shows_code_unfolded():
    html = render("#| echo: true", [])
    assert '<div class="cell-code">' in html and "<details" not in html


def test_echo_false_hides_the_code_entirely():
    html = render("#| echo: false", [stdout("42\n")])
    assert 'class="cell-code' not in html and "<details" not in html
    assert "<pre>42\n</pre>" in html


def test_echo_fenced_shows_the_fence_and_option_lines():
    html = render("#| echo: fenced\n#| label: demo", [])
    assert '<span class="cell-fence">```{python}</span>' in html
    assert "echo: fenced" in html and "label: demo" in html
    assert html.count('class="cell-fence"') == 2  # opening and closing fence


def test_echo_no_is_rejected_as_quarto_reads_yaml():
    with pytest.raises(ArticleSyntaxError, match=r"option 'echo' expects true, false or fenced, got 'no' "
                                                 r"\(write true or false"):
        options("#| echo: no")


# --- output / results -----------------------------------------------------------------------

def test_output_false_hides_outputs():
    assert "cell-output" not in render("#| output: false", [stdout("1\n")])


def test_output_asis_renders_printed_markdown_sanitised():
    html = render("#| output: asis", [stdout("**bold** and a [link](https://example.org)\n\n"
                                             "<script>alert(1)</script>\n")])
    assert "<strong>bold</strong>" in html and '<a href="https://example.org" rel="noopener noreferrer">link</a>' in html
    assert "<script" not in html and "alert(1)" not in html.replace("&lt;", "")


@pytest.mark.parametrize("value, output", [("asis", "asis"), ("hide", False), ("markup", True), ("hold", True)])
def test_knitr_results_maps_to_output(value, output):
    assert options(f"#| results: {value}").output == output


def test_results_and_output_together_are_rejected():
    with pytest.raises(ArticleSyntaxError, match="'output' and 'results' say the same thing"):
        options("#| output: false\n#| results: hide")


def test_block_output_beats_article_results():
    text = "Title: A\nExecute-Results: hide\n\n```{python}\n#| output: true\nx = 1\n```\n"
    assert parse(text).blocks[0].options.output is True


# --- warning / message ------------------------------------------------------------------

WARNINGS_AND_MESSAGES = ("INFO training starts\n"
                         "content/a.md, line 4: UserWarning: lr is large\n"
                         "/lib/torch/nn.py:12: DeprecationWarning: old API\n  old_call()\n"
                         "epoch 1 done\n")


def test_warning_false_hides_warnings_only():
    html = render("#| warning: false", [stderr(WARNINGS_AND_MESSAGES)])
    assert "Warning" not in html and "old_call" not in html
    assert "INFO training starts" in html and "epoch 1 done" in html


def test_message_false_hides_other_stderr_only():
    html = render("#| message: false", [stderr(WARNINGS_AND_MESSAGES)])
    assert "INFO" not in html and "epoch 1" not in html
    assert 'cell-output-warning"><pre>content/a.md, line 4: UserWarning: lr is large\n</pre>' in html
    assert "DeprecationWarning: old API\n  old_call()\n" in html


def test_warnings_and_messages_shown_by_default_in_order():
    html = render("#| echo: true", [stderr(WARNINGS_AND_MESSAGES)])
    assert html.index("INFO") < html.index("UserWarning") < html.index("DeprecationWarning") < html.index("epoch 1")


# --- code-fold / code-summary / code-line-numbers ------------------------------------------

def test_code_fold_true_folds_closed_with_quarto_summary():
    html = render("#| code-fold: true", [])
    assert '<details class="cell-fold"><summary>Code</summary><div class="cell-code">' in html


def test_code_fold_show_is_folded_but_open():
    assert '<details class="cell-fold" open><summary>Code</summary>' in render("#| code-fold: show", [])


def test_code_summary_names_the_fold_escaped():
    html = render("#| code-fold: true\n#| code-summary: Training <loop>", [])
    assert "<summary>Training &lt;loop&gt;</summary>" in html


def test_code_fold_without_echo_shows_nothing():
    assert "<details" not in render("#| code-fold: true\n#| echo: false", [])


def test_code_line_numbers():
    html = render("#| code-line-numbers: true", [], code="a = 1\nb = 2")
    assert '<span class="linenos">1</span>' in html and '<span class="linenos">2</span>' in html
    assert "linenos" not in render("#| code-line-numbers: false", [], code="a = 1\nb = 2")


# --- eval / error ---------------------------------------------------------------------------

def test_eval_and_error_are_booleans_in_the_cache_key():
    block = options("#| eval: false\n#| error: true")
    assert block.execution_fields()["eval"] is False and block.execution_fields()["error"] is True
    # Display-only options never make results stale.
    assert "warning" not in block.execution_fields() and "code_fold" not in block.execution_fields()


# --- cache / freeze ---------------------------------------------------------------------------

def test_cache_and_freeze_are_accepted_with_a_note():
    article = parse("```{python}\n#| cache: true\n#| freeze: auto\nx = 1\n```\n")
    assert article.blocks[0].code == "x = 1"
    assert [n.split(": ")[0] for n in article.notes] == ["content/a.md:2", "content/a.md:3"]
    assert "'cache' is accepted and ignored" in article.notes[0]


# --- unknown options, labels, option-line syntax -------------------------------------------

def test_unknown_option_suggests_the_close_one():
    with pytest.raises(ArticleSyntaxError, match=r"content/a.md:2: unknown block option 'ecko'; did you mean 'echo'\?"):
        options("#| ecko: false")


def test_unknown_option_far_from_all_has_no_suggestion():
    with pytest.raises(ArticleSyntaxError) as caught:
        options("#| zzzzzz: 1")
    assert "did you mean" not in str(caught.value) and "known options:" in str(caught.value)


@pytest.mark.parametrize("label", ["fig-loss", "tbl_1", "a.b:c"])
def test_labels_that_are_html_ids(label):
    assert options(f"#| label: {label}").label == label


@pytest.mark.parametrize("label", ["fig loss", "1fig", "fig-<x>", "'\"q\"'"])
def test_labels_that_are_not_html_ids_are_rejected(label):
    with pytest.raises(ArticleSyntaxError, match="must be usable as an HTML id"):
        options(f"#| label: {label}")


def test_duplicate_labels_are_rejected():
    with pytest.raises(ArticleSyntaxError, match=r"a.md:5: label 'fig-x' is already used by the block at line 1"):
        parse("```{python}\n#| label: fig-x\n```\n\n```{python}\n#| label: fig-x\n```\n")


def test_option_line_without_space_is_rejected_with_the_fix():
    with pytest.raises(ArticleSyntaxError) as caught:
        options("#|fig-cap: A caption")
    assert str(caught.value).startswith("content/a.md:2: option line '#|fig-cap: A caption' needs a space after '#|'")
    assert "Write `#| fig-cap: A caption`" in str(caught.value)


def test_fig_width_must_be_a_positive_number():
    with pytest.raises(ArticleSyntaxError, match="option 'fig-width' expects a positive number"):
        options("#| fig-width: 0")
