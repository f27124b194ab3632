"""The plugins extend Pelican through its public extension points only (issue 9 §2): a
build with both plugins writes no `_`-prefixed attribute of a content object from outside
Pelican and never clears Pelican's memoized content, while the pages still get what the
plugins are for (math, sidenotes, table of contents, resolved srcset links). Also: the
formula cache under CACHE_PATH spares node on a build whose formulas are all known, and a
corrupt or unwritable cache costs only the rendering."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pelican
import pytest
from pelican.contents import Content

from support import parse_html, reading_settings

pytestmark = pytest.mark.slow  # every test here builds a site

PELICAN_CODE = str(Path(pelican.__file__).resolve().parent)

ARTICLE = """\
Title: Guarded
Date: 2026-01-01 10:00
Slug: guarded
Summary: The area is $\\pi r^2$.

The area is $\\pi r^2$, as everyone knows.[^area]

<picture><source media="(prefers-color-scheme: dark)" srcset="{static}/images/figs/dark.png 2x, {static}/images/figs/dark-half.png 1x"><img src="{static}/images/figs/light.png" srcset="{static}/images/figs/light.png 2x, {static}/images/figs/light-half.png 1x" alt="A figure"></picture>

## First

$$
\\sum_{i=1}^{n} x_i^2
$$

## Second

### Second, detail

[^area]: Archimedes.
"""
FIGURES = ("light.png", "light-half.png", "dark.png", "dark-half.png")


@pytest.fixture
def guarded(project):
    project.write("content/guarded.md", ARTICLE)
    for name in FIGURES:
        project.write(f"content/images/figs/{name}", name)
    (project.content / "hello.md").unlink()  # no kernels
    return project


class PrivateWrites:
    """Every `_`-prefixed attribute set on a content object, with the file that set it."""

    def __init__(self):
        self.by_code: dict[str, set[str]] = {}  # file -> names
        self.objects: dict[int, Content] = {}

    def install(self, monkeypatch) -> None:
        setattr_before = Content.__setattr__

        def guarded_setattr(instance, name, value):
            if name.startswith("_"):
                self.by_code.setdefault(sys._getframe(1).f_code.co_filename, set()).add(name)
            self.objects[id(instance)] = instance
            setattr_before(instance, name, value)

        monkeypatch.setattr(Content, "__setattr__", guarded_setattr)

    def outside_pelican(self) -> dict[str, set[str]]:
        return {code: names for code, names in self.by_code.items()
                if not os.path.abspath(code).startswith(PELICAN_CODE)}


class ClearRecorder(dict):
    def __init__(self, cleared: list):
        super().__init__()
        self.cleared = cleared

    def clear(self):
        self.cleared.append(True)
        super().clear()


def test_a_build_writes_no_private_field_of_pelican_and_pages_are_complete(guarded, monkeypatch):
    writes, cleared = PrivateWrites(), []
    writes.install(monkeypatch)
    for memoized in (Content.get_content, Content.get_summary):
        monkeypatch.setattr(memoized, "cache", ClearRecorder(cleared))

    guarded.build(**reading_settings(SITEURL="https://blog.example"))

    assert writes.objects, "the guard saw no content object: it tests nothing"
    assert writes.outside_pelican() == {}
    assert cleared == []
    # Nothing reached a content object's private fields around __setattr__ (its __dict__) either.
    pelican_set = set().union(*writes.by_code.values())
    for instance in writes.objects.values():
        assert {n for n in vars(instance) if n.startswith("_")} <= pelican_set, instance

    page = guarded.html("guarded")
    assert page.count('class="katex"') == 2
    assert '<span class="sidenote" id="sn-area" role="note">' in page
    toc = parse_html(page).find("nav", "toc", aria_label="Contents")
    assert [a["href"] for a in toc.find_all("a")] == ["#first", "#second", "#second-detail"]
    assert '<img src="./images/figs/light.png" srcset="./images/figs/light.png 2x, ./images/figs/light-half.png 1x"' in page
    assert 'srcset="./images/figs/dark.png 2x, ./images/figs/dark-half.png 1x"' in page
    for url in [e.attrs[n] for e in parse_html(page).iter() for n in ("src", "srcset") if n in e.attrs]:
        for candidate in url.split(","):
            target = candidate.split()[0]
            if target.startswith("./images/"):
                assert (guarded.output / target).is_file(), target
    # The summary (index, feed) had its formula rendered as it was read.
    assert "\\pi" not in guarded.output.joinpath("index.html").read_text().split("<annotation")[0]


def test_known_formulas_start_no_node_and_a_bad_cache_costs_only_rendering(guarded, monkeypatch):
    guarded.build(**reading_settings())
    cache = guarded.root / "cache" / "reading" / "katex.json"
    first = guarded.html("guarded")
    assert cache.is_file() and first.count('class="katex"') == 2

    # Every formula known: the build needs no node (none on PATH, rendering would fail).
    monkeypatch.setenv("PATH", str(guarded.root / "no-node-here"))
    guarded.build(**reading_settings())
    assert guarded.html("guarded") == first
    monkeypatch.undo()

    # A corrupt cache: rendered again, and written whole again.
    cache.write_text("{not json")
    guarded.build(**reading_settings())
    assert guarded.html("guarded") == first
    assert cache.read_text().startswith("{\"")

    # An unwritable cache (its folder is a file): rendered, the build goes on.
    unwritable = guarded.root / "blocked"
    unwritable.write_text("a file where the cache folder would be")
    guarded.build(**reading_settings(CACHE_PATH=str(unwritable)))
    assert guarded.html("guarded") == first
