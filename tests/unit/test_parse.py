"""parse: fences, options, inline values, line numbers."""

from pathlib import Path

import pytest

from execblocks.errors import ArticleSyntaxError
from execblocks.source.parse import find_fences, parse_text

ROOT = Path("/project")
CONTENT = ROOT / "content"


def parse(text: str, name: str = "a.md"):
    return parse_text(text, CONTENT / name, ROOT, CONTENT)


def test_blocks_options_and_lines():
    article = parse(
        "Title: A\nSlug: my-slug\n\nProse.\n\n"
        "```{python}\n#| echo: false\n#| fig-cap: \"A: caption\"\n#| fig-width: 8\nx = 1\nprint(x)\n```\n"
    )
    assert article.slug == "my-slug" and article.article_id == "a" and article.rel_path == "content/a.md"
    (block,) = article.blocks
    assert block.code == "x = 1\nprint(x)"
    assert (block.fence_line, block.code_line) == (6, 10)
    assert block.options.echo is False
    assert block.options.fig_cap == "A: caption"
    assert block.options.fig_width == 8


def test_plain_python_fence_is_not_executable():
    article = parse("```python\nprint('highlighted only')\n```\n")
    assert article.blocks == () and not article.executable


def test_fence_shown_inside_a_longer_fence_is_text():
    text = "````markdown\n```{python}\nprint(1)\n```\n````\n\n```{python}\nprint(2)\n```\n"
    article = parse(text)
    assert [b.code for b in article.blocks] == ["print(2)"]
    assert [f.executable for f in find_fences(text.split("\n"))] == [False, True]


def test_unknown_option_is_an_error_naming_it_and_its_line():
    with pytest.raises(ArticleSyntaxError) as caught:
        parse("Title: A\n\n```{python}\n#| echo: true\n#| fig-size: 3\nx = 1\n```\n")
    assert caught.value.line == 5
    assert str(caught.value).startswith("content/a.md:5: unknown block option 'fig-size'")
    assert "fig-width" in str(caught.value)  # lists the known ones


@pytest.mark.parametrize("line, message", [
    ("#| echo: maybe", "option 'echo' expects true, false or fenced, got 'maybe'"),
    ("#| timeout: soon", "option 'timeout' expects int"),
    ("#| column: sidebar", "option 'column' must be one of"),
    ("#| echo: [unclosed", "not valid YAML"),
])
def test_bad_option_values(line, message):
    with pytest.raises(ArticleSyntaxError, match=message):
        parse(f"```{{python}}\n{line}\nx = 1\n```\n")


def test_unclosed_block_is_an_error():
    with pytest.raises(ArticleSyntaxError, match="never closed"):
        parse("Prose\n\n```{python}\nx = 1\n")


def test_inline_expressions_outside_fences_only():
    article = parse("Value `{python} x * 2` here.\n\n```python\n`{python} not_this`\n```\nAnd `{python} y`.\n")
    assert [(i.expr, i.line) for i in article.inline] == [("x * 2", 1), ("y", 6)]
    assert article.executable


def test_an_inline_value_is_a_code_span_of_one_backtick():
    """As Quarto reads them: ``{python} x`` (two backticks) and a `{python} x` inside a longer
    span are how its documentation shows the syntax, unevaluated; an escaped backtick opens nothing."""
    article = parse("Shown: ``{python} a`` and `` `{python} b` `` and \\`{python} c`.\n"
                    "Run: `{python} f(1)` and `{python}  g `.\n")
    assert [(i.expr, i.line) for i in article.inline] == [("f(1)", 2), ("g", 2)]


def test_code_hash_ignores_options_but_not_code():
    a = parse("```{python}\n#| echo: false\nx = 1\n```\n").blocks[0]
    b = parse("```{python}\nx = 1\n```\n").blocks[0]
    c = parse("```{python}\nx = 2\n```\n").blocks[0]
    assert a.code_hash == b.code_hash != c.code_hash


def test_option_precedence_block_over_article_over_site():
    text = ("Title: A\nExecute-Echo: false\nExecute-Timeout: 60\n\n"
            "```{python}\nx = 1\n```\n\n```{python}\n#| echo: true\nx = 2\n```\n")
    first, second = parse_text(text, CONTENT / "a.md", ROOT, CONTENT,
                               defaults={"timeout": 10, "fig-width": 8}).blocks
    assert (first.options.echo, first.options.timeout, first.options.fig_width) == (False, 60, 8)
    assert (second.options.echo, second.options.timeout) == (True, 60)


def test_bad_article_option_names_the_header_line():
    with pytest.raises(ArticleSyntaxError) as caught:
        parse("Title: A\nExecute-Ecko: false\n\n```{python}\nx = 1\n```\n")
    assert str(caught.value).startswith("content/a.md:2: header option Execute-Ecko: unknown block option 'ecko'")


# Issue 13 §5: the parser agrees with Markdown about what is a code block.
HIDDEN_FENCES = """\
Title: Hidden

<!--
```{python}
raise SystemExit("commented out")
```
and `{python} also_not_run`
-->

    ```{python}
    raise SystemExit("an indented code block")
    ```

````markdown
```{python}
raise SystemExit("an example inside another fence")
```
````

Text with `<!--` in a code span, then a real block:

```{python}
print("runs")
```

Inline <!-- `{python} hidden_inline` --> and `{python} 1 + 1`.
"""


def test_fences_markdown_does_not_render_as_code_are_never_executed(tmp_path):
    from execblocks.source.parse import parse_text

    path = tmp_path / "content" / "hidden.md"
    path.parent.mkdir()
    path.write_text(HIDDEN_FENCES)
    article = parse_text(HIDDEN_FENCES, path, tmp_path, tmp_path / "content")
    assert [b.code for b in article.blocks] == ['print("runs")']
    assert [i.expr for i in article.inline] == ["1 + 1"]


def test_repeated_option_lines_are_read_once_but_never_shared():
    """Block options are read once per distinct text (source/parse.py `_block_yaml`): two blocks
    with the same `#|` lines get equal options, neither holding the other's objects, and a
    text that does not parse fails every time it is read, not only the first."""
    from execblocks.source import parse as parse_module

    lines = "#| fig-cap:\n#|   - One\n#|   - Two\n"
    first = parse_module._block_yaml(lines.replace("#| ", "").replace("#|", ""))
    first["fig-cap"].append("changed by a caller")
    again = parse_module._block_yaml(lines.replace("#| ", "").replace("#|", ""))
    assert again == {"fig-cap": ["One", "Two"]}
    article = parse(f"```{{python}}\n{lines}plt.plot([1]); plt.plot([2])\n```\n\n```{{python}}\n{lines}x = 1\n```\n")
    assert [b.options.fig_cap for b in article.blocks] == [("One", "Two")] * 2
    for name in ("b.md", "c.md"):
        with pytest.raises(ArticleSyntaxError, match="not valid YAML"):
            parse("```{python}\n#| echo: [unclosed\nx = 1\n```\n", name)


def test_an_article_that_is_a_link_resolves_to_its_target(tmp_path):
    """Paths are resolved a folder at a time (`_resolved`): a file that is itself a symlink
    still resolves to where it points, as Path.resolve() would."""
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "sub").mkdir()
    target = tmp_path / "content" / "sub" / "real.md"
    target.write_text("```{python}\nx = 1\n```\n")
    (tmp_path / "content" / "link.md").symlink_to(target)
    (tmp_path / "content" / "plain.md").write_text("```{python}\nx = 2\n```\n")
    link = parse_text(target.read_text(), tmp_path / "content" / "link.md", tmp_path, tmp_path / "content")
    plain = parse_text("```{python}\nx = 2\n```\n", tmp_path / "content" / "plain.md", tmp_path, tmp_path / "content")
    assert link.path == target.resolve() and link.rel_path == "content/sub/real.md" and link.article_id == "sub/real"
    assert plain.path == (tmp_path / "content" / "plain.md").resolve() and plain.rel_path == "content/plain.md"


@pytest.mark.parametrize("date, readable", [("2026-11-25", True), ("2026-11-25 14:30", True), ("25 November 2026", True),
                                            ("2026-02-30", False), ("2026-13-01 10:00", False), ("soon", False)])
def test_dates_pelican_cannot_read_fail_before_any_block_runs(date, readable):
    """ISO dates are checked by Python's own reader first (source/preflight.py), any other by
    Pelican's: the verdict is Pelican's either way."""
    from execblocks.errors import ArticleMetadataError
    from execblocks.source.preflight import check_metadata

    article = parse(f"Title: A\nDate: {date}\n\n```{{python}}\nx = 1\n```\n")
    if readable:
        check_metadata(article)
    else:
        with pytest.raises(ArticleMetadataError, match="is not a date Pelican can read"):
            check_metadata(article)


def test_discovery_skips_hidden_files_and_folders_and_keeps_pelicans_order(tmp_path):
    from execblocks.source.parse import discover

    content = tmp_path / "content"
    for name in ("b.md", "a-b.md", "a/b.md", "a/.hidden.md", ".drafts/c.md", "notes.txt", "z.qmd"):
        (content / name).parent.mkdir(parents=True, exist_ok=True)
        (content / name).write_text("Title: T\n\nProse.\n")
    (content / "broken.md").symlink_to(tmp_path / "nowhere.md")
    assert [a.rel_path for a in discover(content, tmp_path)] == \
        ["content/a/b.md", "content/a-b.md", "content/b.md", "content/z.qmd"]
