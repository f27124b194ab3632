"""Fence lines with text after the info string (plugins/reading/fences.py), through the
real Markdown pipeline: a fence, never prose whose closer swallows what follows."""

import markdown

from reading import divs, fences


class Reading(markdown.Extension):
    def extendMarkdown(self, md):  # noqa: N802
        divs.register(md)
        fences.register(md)


def render(text: str) -> str:
    return markdown.markdown(text, extensions=["pymdownx.extra", "attr_list", "codehilite", Reading()],
                             extension_configs={"codehilite": {"css_class": "highlight", "guess_lang": False}})


def test_attributes_after_the_language_are_the_code_blocks():
    html = render('```python title="train.py"\nx = 1\n```\n\n## After\n\nText.\n')
    assert "<h2" in html and "<p>Text.</p>" in html  # nothing swallowed
    assert "x" in html.split("<h2")[0] and 'title="train.py"' not in html.split("<h2")[1]


def test_words_after_the_language_are_dropped_not_read_as_prose():
    html = render("```python some words\nprint(1)\n```\n\nAfter.\n")
    assert "some words" not in html and "<p>After.</p>" in html and "print" in html


def test_myst_margin_and_admonitions():
    html = render("```{margin} A note\nIn the **margin**.\n```\n\n```{warning} Careful\nBody.\n```\n\nAfter.\n")
    assert '<aside class="column-margin">' in html and "<strong>margin</strong>" in html
    assert "<strong>A note</strong>" in html
    assert '<div class="callout callout-warning" role="note">' in html
    assert '<div class="callout-title">Careful</div>' in html and "<p>After.</p>" in html


def test_code_inside_a_fence_is_never_rewritten():
    html = render('````markdown\n```python title="x"\n```{note}\n````\n')
    assert '```python title=&quot;x&quot;' in html and "{note}" in html and "callout" not in html
