"""The highlighted code of a block is Pygments' own, and a build that changed nothing
reads it from the cache instead of highlighting again."""

import json

import pygments
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from execblocks.render import highlight as cache
from execblocks.render.highlight import Highlighter, cache_file_for

CODE = "import numpy as np\nx = np.arange(3)  # a comment\nprint(x.sum())\n"


def test_the_html_is_pygments_own(tmp_path):
    highlighter = Highlighter(tmp_path / "a.json")
    assert highlighter.html(CODE) == highlight(CODE, PythonLexer(), HtmlFormatter(cssclass="highlight"))
    assert highlighter.html(CODE, numbered=True) == highlight(
        CODE, PythonLexer(), HtmlFormatter(cssclass="highlight", linenos="inline"))


def test_a_second_build_highlights_nothing(tmp_path, monkeypatch):
    first = Highlighter(tmp_path / "a.json")
    expected = first.html(CODE), first.html(CODE, numbered=True)
    first.save()

    def no_highlighting(*args):
        raise AssertionError("highlighted again")

    monkeypatch.setattr(cache, "_highlight", no_highlighting)
    second = Highlighter(tmp_path / "a.json")
    assert (second.html(CODE), second.html(CODE, numbered=True)) == expected


def test_an_unchanged_article_does_not_rewrite_its_cache(tmp_path):
    first = Highlighter(tmp_path / "a.json")
    first.html(CODE)
    first.save()
    stamp = (tmp_path / "a.json").stat().st_mtime_ns
    second = Highlighter(tmp_path / "a.json")
    second.html(CODE)
    second.save()
    assert (tmp_path / "a.json").stat().st_mtime_ns == stamp


def test_the_cache_keeps_only_what_the_article_uses(tmp_path):
    first = Highlighter(tmp_path / "a.json")
    first.html("old = 1\n")
    first.html(CODE)
    first.save()
    second = Highlighter(tmp_path / "a.json")
    second.html(CODE)
    second.save()
    stored = json.loads((tmp_path / "a.json").read_text())
    assert len(stored) == 1 and "numpy" in next(iter(stored.values()))


def test_a_new_pygments_version_misses(tmp_path, monkeypatch):
    first = Highlighter(tmp_path / "a.json")
    first.html(CODE)
    first.save()
    before = set(json.loads((tmp_path / "a.json").read_text()))
    monkeypatch.setattr(pygments, "__version__", "0.0-other")
    second = Highlighter(tmp_path / "a.json")
    second.html(CODE)
    second.save()
    after = set(json.loads((tmp_path / "a.json").read_text()))
    assert len(after) == 1 and after != before  # highlighted again under a new key; the old entry dropped


def test_a_corrupt_or_unwritable_cache_only_costs_the_highlighting(tmp_path):
    (tmp_path / "a.json").write_text("{not json")
    highlighter = Highlighter(tmp_path / "a.json")
    assert "numpy" in highlighter.html(CODE)
    highlighter.save()
    assert json.loads((tmp_path / "a.json").read_text())
    blocked = Highlighter(tmp_path / "a-file" / "b.json")
    (tmp_path / "a-file").write_text("a file where the folder would go")
    assert "numpy" in blocked.html(CODE)
    blocked.save()  # no exception: the build goes on


def test_a_relative_cache_path_is_the_project_s(tmp_path):
    assert cache_file_for({"CACHE_PATH": "cache"}, tmp_path, "a1") == tmp_path / "cache/execblocks/highlight/a1.json"
    assert cache_file_for({"CACHE_PATH": "/abs/c"}, tmp_path, "a1").as_posix() == "/abs/c/execblocks/highlight/a1.json"
