"""site/page_cache.py: what a page's key holds, and what a build may keep."""

from __future__ import annotations

from pathlib import Path

from execblocks.site.page_cache import PageCache, ReadPage, page_key, run_key


def test_only_a_completed_build_keeps_what_it_read():
    cache, page = PageCache(), ReadPage("<p>x</p>", {"title": ["T"]})
    cache.begin()
    cache.offer("a.md", "k1", page)
    assert cache.get("a.md", "k1") is None  # not before the site is complete
    cache.begin()  # the next build starts: the failed one's reads are dropped
    cache.commit()
    assert cache.get("a.md", "k1") is None
    cache.offer("a.md", "k1", page)
    cache.commit()
    assert cache.get("a.md", "k1") is page and cache.get("a.md", "k2") is None


def test_the_run_key_follows_settings_that_are_equal_and_those_that_are_not(tmp_path):
    """Settings made again by each run (new objects, new closures) give the same key; an
    edited value, an edited function body, a changed theme file give another."""
    class Session:  # an object made anew each run: keyed by its type
        pass

    def settings(summary_words=60, finalize=lambda v: v):
        return {"SUMMARY_MAX_LENGTH": summary_words, "EXECBLOCKS_SESSION": Session(), "FINALIZE": finalize,
                "MARKDOWN": {"extension_configs": {"toc": {"permalink": "#"}}}, "PATHS": ("a", Path("b"))}

    theme = tmp_path / "theme"
    (theme / "static").mkdir(parents=True)
    (theme / "static" / "katex.min.js").write_text("v1")
    first = run_key(settings(), theme, [])
    assert run_key(settings(), theme, []) == first
    assert run_key(settings(summary_words=50), theme, []) != first
    assert run_key(settings(finalize=lambda v: str(v)), theme, []) != first
    (theme / "static" / "katex.min.js").write_text("v2, another size")
    second = run_key(settings(), theme, [])
    assert second != first
    # What only the update or Pelican's command line reads: `invoke build --force`, `invoke
    # run ARTICLE`, `pelican --debug` reuse the pages `invoke build` read.
    for started_as in ({"EXECBLOCKS_MODE": "force"}, {"EXECBLOCKS_ONLY": ["a.md"]}, {"DEBUG": True},
                       {"EXECBLOCKS_EXECUTOR": "tcp://10.0.0.1:8786"}, {"DELETE_OUTPUT_DIRECTORY": True}):
        assert run_key({**settings(), **started_as}, theme, []) == second


def test_the_page_key_follows_the_text_the_plan_and_each_entry_file(tmp_path):
    entry = tmp_path / "results" / "a"
    entry.mkdir(parents=True)
    (entry / "record.json").write_text("{}")
    key = page_key("run", "/c/a.md", "text", "fresh", entry, None)
    assert page_key("run", "/c/a.md", "text", "fresh", entry, None) == key
    assert page_key("run", "/c/a.md", "text.", "fresh", entry, None) != key
    assert page_key("run", "/c/a.md", "text", "stale", entry, None) != key
    assert page_key("run", "/c/a.md", "text", "fresh", entry, "bib") != key
    assert page_key("other", "/c/a.md", "text", "fresh", entry, None) != key
    (entry / "verifications.json").write_text("[]")  # `invoke verify` recorded a rerun
    assert page_key("run", "/c/a.md", "text", "fresh", entry, None) != key


def test_a_library_stamp_does_not_depend_on_whether_it_was_imported():
    """The run key of a fresh `invoke build` (few libraries imported yet) must equal the one
    of a process that imported them: a stamp from `__version__` when imported and from the
    file otherwise made every entry a miss across processes."""
    import subprocess
    import sys

    import citeproc  # noqa: F401 - imported here, not in the child

    from execblocks.site.page_cache import library_version

    plugins = str(Path(__file__).resolve().parents[2] / "plugins")
    child = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {plugins!r}); "
                            "from execblocks.site.page_cache import library_version; "
                            "print(library_version('citeproc')); print('citeproc' in sys.modules)"],
                           capture_output=True, text=True, check=True).stdout.split()
    assert child == [library_version("citeproc"), "False"]
    assert library_version("no_such_library_here") == "no_such_library_here=-"


def test_a_warning_pelican_drops_as_already_shown_is_still_kept_with_the_page():
    """Pelican's loggers drop a message already shown in the process before any handler
    sees it (a page read twice by one livereload process): the page must keep it anyway."""
    import logging

    from pelican.log import LimitFilter

    from execblocks.site.page_cache import WarningsSaid

    logger = logging.getLogger("execblocks.test_page_cache")
    dedup = LimitFilter()
    logger.addFilter(dedup)
    try:
        logger.warning("content/a.md:3: a figure without alt text")  # shown once
        with WarningsSaid() as warnings:
            logger.warning("content/a.md:3: a figure without alt text")  # dropped by Pelican's filter
            logger.info("not a warning")
        assert warnings.said == [("execblocks.test_page_cache", logging.WARNING,
                                  "content/a.md:3: a figure without alt text",
                                  "content/a.md:3: a figure without alt text")] and warnings.replayable
        with WarningsSaid() as worse:  # a traceback cannot be said again as it was
            logger.warning("content/a.md:9: failed", exc_info=(ValueError, ValueError("x"), None))
        assert not worse.replayable
    finally:
        logger.removeFilter(dedup)


def test_a_warning_said_again_is_silenced_by_a_log_filter_naming_its_template_and_fatal_when_asked(
        caplog, monkeypatch):
    """Pelican's LOG_FILTER names a warning by its text or by its template (its docs' example:
    `(logging.WARN, 'Empty alt attribute for image %s in %s')`): a page reused from the cache
    says its warnings again with their templates, so the filter silences them as before; and
    under `--fatal warnings` one fails the build, as the read's own would."""
    import logging

    import pytest
    from pelican.log import FatalLogger
    from pelican.settings import read_settings

    from execblocks.site.page_cache import ReadPage, WarningsSaid, say_again

    template = "test_page_cache: a template no other test logs, for image %s in %s"
    read_settings(override={"LOG_FILTER": [(logging.WARNING, template)]})  # what a site's LOG_FILTER does
    logger = logging.getLogger("execblocks.test_page_cache.said_again")  # Pelican's logger class, its filter
    with WarningsSaid() as warnings:
        logger.warning(template, "a.png", "content/a.md")
    assert warnings.said == [(logger.name, logging.WARNING, template % ("a.png", "content/a.md"), template)]
    # Messages not logged yet in this process (Pelican's filter drops one it has shown already).
    unfiltered = "content/b.md:3: test_page_cache, a warning no filter names"
    page = ReadPage("<p></p>", None, (), ((logger.name, logging.WARNING, template % ("b.png", "content/b.md"), template),
                                          (logger.name, logging.WARNING, unfiltered, unfiltered)))
    with caplog.at_level(logging.WARNING):
        say_again(page)
    assert [r.getMessage() for r in caplog.records if r.name == logger.name] == [unfiltered]
    fatal = ReadPage("<p></p>", None, (), ((logger.name, logging.WARNING, unfiltered + " again", unfiltered + " again"),))
    monkeypatch.setattr(FatalLogger, "fatal_lvl", logging.WARNING)  # what `pelican --fatal warnings` sets
    with pytest.raises(RuntimeError, match="Warning or error encountered"):
        say_again(fatal)
