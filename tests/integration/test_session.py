"""One build is one pass: each article is parsed and planned once, the engine's report
reaches the reader through the run's settings, and livereload's rebuilds in one
process each run what an edit made stale."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import execblocks
from execblocks.site import build as site
from execblocks.site import page_cache, pelican_signals
from execblocks.source import parse
from support import COUNT_COMPILED_TEMPLATES, REPO

pytestmark = pytest.mark.slow

PROSE = "Title: Prose only\nDate: 2026-01-02\n\nNo blocks here, `python` or otherwise.\n"


@pytest.fixture
def counted(monkeypatch):
    """Counts of the engine's parse, fence scan and update calls, by function name."""
    counts = {"parse_text": 0, "find_fences": 0, "update": 0}

    def counting(module, name):
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            counts[name] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    counting(parse, "parse_text")
    counting(parse, "find_fences")
    counting(pelican_signals, "update")  # the name the plugin's get_generators handler calls
    return counts


def test_a_build_parses_scans_and_plans_each_article_once(project, counted):
    project.write("content/prose.md", PROSE)
    project.build()  # runs hello.md
    # prose.md has no `{python`: parsed for its header, never scanned for fences.
    assert counted == {"parse_text": 2, "find_fences": 1, "update": 1}
    for key in counted:
        counted[key] = 0
    project.build()  # nothing to run
    assert counted == {"parse_text": 2, "find_fences": 1, "update": 1}
    assert "<pre>x is 42\n</pre>" in project.html()


def test_the_run_hands_its_session_to_the_reader(project):
    session = site.build(str(project.write_conf()))
    assert isinstance(session, execblocks.BuildSession)
    assert [p.state for p in session.report.plans] == ["fresh"]
    assert list(session.rendered) == ["hello"]  # the reader rendered it from the session's plan


def test_livereload_rebuilds_run_what_an_edit_made_stale(project, capfd):
    reported = []
    rebuild = site.rebuilder(str(project.write_conf()), report=reported.append)
    assert rebuild() and "<pre>x is 42\n</pre>" in project.html()
    capfd.readouterr()

    project.edit("content/hello.md", "double(21)", "double(5)")
    assert rebuild(), reported
    err = capfd.readouterr().err
    assert "<pre>x is 10\n</pre>" in project.html()
    assert err.count("execblocks: content/hello.md (stale): block 1 (line 7) code changed") == 1
    assert err.count("execblocks: running content/hello.md") == 1

    project.edit("content/hello.md", "x + 1", "x + missing_name")
    assert not rebuild()  # reported, not raised: the server goes on serving the last good site
    assert reported and reported[0].startswith("content/hello.md:25: block 3 raised NameError")
    assert "<pre>x is 10\n</pre>" in project.html()


def test_rebuilds_leave_no_exit_handlers_or_module_state_behind(project, monkeypatch):
    """Each run registers its half-written folder's clean-up at exit and unregisters it when the
    site is swapped in, also after a failed run (livereload rebuilt 1,000 times kept 1,000)."""
    import atexit

    from execblocks.site import atomic_output

    live = []
    monkeypatch.setattr(atexit, "register", lambda function, *a: live.append(function) or function)
    monkeypatch.setattr(atexit, "unregister", lambda function: live.remove(function) if function in live else None)
    rebuild = site.rebuilder(str(project.write_conf()), report=lambda message: None)
    assert rebuild() and rebuild()
    assert live == []
    project.edit("content/hello.md", "x + 1", "x + missing_name")
    assert not rebuild()  # failed: its handler stays until the next run takes over
    assert len(live) <= 1
    project.edit("content/hello.md", "x + missing_name", "x + 1")
    assert rebuild() and live == []
    assert not [name for name, value in vars(atomic_output).items()
                if not name.startswith("__") and isinstance(value, (dict, list, set))]  # no registry of runs
    assert not list(project.root.glob(".output.building-*"))


def test_livereload_rebuilds_reuse_compiled_templates_and_see_template_edits(project, monkeypatch):
    """Compiled templates stay in memory between rebuilds (site/template_cache.py): a rebuild
    compiles none, one after a theme edit compiles the edited template and shows the edit."""
    import shutil

    import jinja2
    import pelican

    theme = project.root / "theme"
    shutil.copytree(pelican.__path__[0] + "/themes/simple", theme)
    conf = project.write_conf()
    conf.write_text(conf.read_text() + f"THEME = {str(theme)!r}\n")
    compiled = []
    original = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile",
                        lambda env, source, name=None, *a, **k: compiled.append(name) or original(env, source, name, *a, **k))
    rebuild = site.rebuilder(str(conf), report=lambda message: pytest.fail(message))
    assert rebuild() and compiled  # the first build compiles what it renders
    compiled.clear()
    assert rebuild() and compiled == []
    article = theme / "templates" / "article.html"
    article.write_text(article.read_text().replace("{{ article.content }}", "{{ article.content }}<p>edited theme</p>"))
    assert rebuild() and compiled == ["article.html"]
    assert "<p>edited theme</p>" in project.html()


# Pelican's command line in a fresh interpreter, saying which templates Jinja compiled.
COUNTING_PELICAN = "import sys\n" + COUNT_COMPILED_TEMPLATES + """\
from pelican import main
try:
    main(sys.argv[1:])
finally:
    print("compiled:", sorted({name for name in compiled if name}), file=sys.stderr)
"""


def test_a_build_in_a_fresh_process_compiles_no_template_and_sees_a_theme_edit(project):
    """`invoke build` is one process per build: the theme's compiled templates are kept under
    CACHE_PATH (site/template_cache.py), the next process compiles none, and one after a
    theme edit compiles the edited template only and shows the edit."""
    import shutil
    import subprocess
    import sys

    import pelican

    theme = project.root / "theme"
    shutil.copytree(pelican.__path__[0] + "/themes/simple", theme)
    conf = project.write_conf()
    conf.write_text(conf.read_text() + f"THEME = {str(theme)!r}\n")

    def fresh_build(*extra: str) -> list[str]:
        done = subprocess.run([sys.executable, "-c", COUNTING_PELICAN, "-s", str(conf), "--fatal", "errors", *extra],
                              cwd=project.root, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return eval(done.stderr.rpartition("compiled: ")[2])  # noqa: S307 - our own print of a list of names

    site.build(str(conf), EXECBLOCKS_PAGE_CACHE=False)
    assert not (project.root / "cache" / "execblocks" / "templates").exists()  # off: memory only
    everything = pages(project)
    assert "article.html" in fresh_build()  # the first process with the cache on compiles and keeps
    assert fresh_build() == [] and pages(project) == everything
    article = theme / "templates" / "article.html"
    article.write_text(article.read_text().replace("{{ article.content }}", "{{ article.content }}<p>edited theme</p>"))
    assert fresh_build() == ["article.html"]
    assert "<p>edited theme</p>" in project.html()
    assert "article.html" in fresh_build("-e", "EXECBLOCKS_PAGE_CACHE=false")  # off: everything compiled again


@pytest.fixture
def conversions(monkeypatch):
    """The articles the reader put through Markdown (a page cache miss), by file name."""
    from execblocks.site.reader import ExecMarkdownReader

    converted = []
    original = ExecMarkdownReader._convert

    def counting(self, *args, **kwargs):
        converted.append(Path(self._source_path).name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ExecMarkdownReader, "_convert", counting)
    return converted


def pages(project) -> dict[str, bytes]:
    return {p.relative_to(project.output).as_posix(): p.read_bytes()
            for p in sorted(project.output.rglob("*.html"))}


def test_livereload_rebuilds_read_again_only_what_changed_and_write_the_same_site(project, conversions):
    """The pages a rebuild reads are kept in memory (site/page_cache.py): the next rebuild
    puts only the edited article through Markdown, and the site it writes is the one a
    build without the cache writes."""
    project.write("content/prose.md", PROSE)
    conf = project.write_conf()
    rebuild = site.rebuilder(str(conf), report=lambda message: pytest.fail(message))
    assert rebuild() and sorted(conversions) == ["hello.md", "prose.md"]
    conversions.clear()
    assert rebuild() and conversions == []
    kept = pages(project)
    site.build(str(conf), EXECBLOCKS_PAGE_CACHE=False)  # no cache: reads both
    assert sorted(conversions) == ["hello.md", "prose.md"] and pages(project) == kept
    conversions.clear()

    project.edit("content/prose.md", "No blocks here", "Still no blocks here")
    assert rebuild() and conversions == ["prose.md"]
    assert "Still no blocks here" in project.html("prose-only")
    conversions.clear()
    project.edit("content/hello.md", "double(21)", "double(5)")  # new results: the page is read again
    assert rebuild() and conversions == ["hello.md"]
    assert "<pre>x is 10\n</pre>" in project.html()


def test_a_settings_or_results_change_reads_the_page_again(project, conversions):
    from execblocks.store.results_folder import ResultsStore

    conf = project.write_conf()
    rebuild = site.rebuilder(str(conf), report=lambda message: pytest.fail(message))
    assert rebuild()
    conversions.clear()
    conf.write_text(conf.read_text() + 'EXECBLOCKS_BLOCK_DEFAULTS = {"echo": False}\n')
    assert rebuild() and conversions == ["hello.md"]
    assert "from helper import double" not in project.html()  # the new default hides the code
    conversions.clear()
    # `invoke verify` records a verification: the page's footer says so, so it is read again.
    verifications = ResultsStore(project.results).entry_dir("hello") / "verifications.json"
    verifications.write_text('{"verifications": []}')
    assert rebuild() and conversions == ["hello.md"]


def test_a_kept_page_says_its_read_warnings_again(project, conversions, caplog):
    """A page whose read warned is kept with its warnings: a later build that reuses it, in
    another process as `invoke build` runs, logs them again, by the same logger."""
    # A figure with neither alt text nor caption: the reader warns.
    project.edit("content/hello.md", "#| fig-cap: A rising line\n#| fig-alt: A line rising from 1 to 3\n#| label: fig-line\n", "")
    conf = str(project.write_conf())
    site.build(conf)
    assert conversions == ["hello.md"]

    def warned() -> list[tuple[str, str]]:
        return [(r.name, r.getMessage()) for r in caplog.records
                if r.levelname == "WARNING" and "neither fig-alt nor fig-cap" in r.getMessage()]

    first = warned()
    assert len(first) == 1 and first[0][0] == "execblocks.render.blocks"
    stored = entries(project)
    # A fresh interpreter, as a user runs it (in this one, Pelican drops a warning it has
    # already shown): the page is reused, its entry not rewritten, and the warning said.
    done = project.pelican(env={"COLUMNS": "400"})  # Pelican's log lines unwrapped
    assert done.returncode == 0 and entries(project) == stored
    assert "content/hello.md:13: 1 figure(s) have neither fig-alt nor fig-cap" in done.stderr + done.stdout
    conversions.clear()
    site.build(conf)
    assert conversions == []


def entries(project) -> dict[str, int]:
    """The page cache's files on disk (site/page_cache.py), by name: their mtimes."""
    return {p.name: p.stat().st_mtime_ns for p in (project.root / "cache" / "execblocks" / "pages").glob("*.json")}


def test_a_build_reads_again_only_what_changed_since_the_last_process(project, conversions):
    """`invoke build` is one process per build: the pages a build read are kept under
    CACHE_PATH, and the next process reads again only the edited article. Its site is the
    one a build that reads everything writes."""
    project.write("content/prose.md", PROSE)
    conf = str(project.write_conf())
    site.build(conf, EXECBLOCKS_PAGE_CACHE=False)
    assert not entries(project)  # off: nothing kept
    everything = pages(project)
    site.build(conf)
    stored = entries(project)
    assert len(stored) == 2 and pages(project) == everything
    conversions.clear()
    done = project.pelican()  # a fresh interpreter reads the entries: rewrites none, writes the same site
    assert done.returncode == 0, done.stderr
    assert entries(project) == stored and pages(project) == everything
    site.build(conf)
    assert conversions == [] and pages(project) == everything

    project.edit("content/prose.md", "No blocks here", "Still no blocks here")
    site.build(conf)
    assert conversions == ["prose.md"] and "Still no blocks here" in project.html("prose-only")
    changed = entries(project)
    assert [name for name in changed if changed[name] != stored[name]] == [
        page_cache.entry_name(str(project.content / "prose.md"))]


def test_a_new_library_version_a_corrupt_entry_or_a_gone_article_reads_again(project, conversions, monkeypatch):
    project.write("content/prose.md", PROSE)
    conf = str(project.write_conf())
    site.build(conf)
    everything = pages(project)
    conversions.clear()
    # Python-Markdown (or Pygments, Pelican...) upgraded between two builds: every page again.
    versions = page_cache.writer_versions()
    monkeypatch.setattr(page_cache, "writer_versions", lambda: versions.replace("markdown@", "markdown@upgraded"))
    site.build(conf)
    assert sorted(conversions) == ["hello.md", "prose.md"] and pages(project) == everything
    conversions.clear()
    folder = project.root / "cache" / "execblocks" / "pages"
    prose_entry = folder / page_cache.entry_name(str(project.content / "prose.md"))
    prose_entry.write_text(prose_entry.read_text()[:40])  # cut short: a miss, read again and replaced
    site.build(conf)
    assert conversions == ["prose.md"] and pages(project) == everything
    assert json.loads(prose_entry.read_text())["content"].startswith("<p>No blocks here")
    (project.content / "prose.md").unlink()
    orphan = folder / f".{prose_entry.name}.x1y2.tmp"  # what a build killed mid-write leaves
    orphan.write_text("{")
    site.build(conf)
    assert not prose_entry.exists() and len(entries(project)) == 1 and not orphan.exists()


def test_publishing_reads_every_page_from_the_committed_files():
    """publishconf.py turns the page cache off: what is published never comes from it."""
    from execblocks.site.build import read_settings

    assert read_settings(str(REPO / "publishconf.py"), quiet_feeds=True)[page_cache.SETTING] is False
    assert read_settings(str(REPO / "pelicanconf.py"), quiet_feeds=True).get(page_cache.SETTING, True) is True
