"""The built site, shared by the link check (tests/integration/test_links.py) and the
browser suite (tests/browser/).

The site is built once per test session with the real Pelican and the repository's
own settings, in `strict` mode: nothing executes, every block renders from the
results committed under results/, and a stale or missing result fails the build.
`pytest --site-dir=output ...` checks an already-built site instead (e.g. what
`invoke publish` wrote) without building.

Tests that take a `site_page` argument run once for every HTML page of the site;
`content_page`, once for every article and page (not the index, tag, archive lists).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from pathlib import Path

import pytest

from support import REPO, LogRecorder, content_pages, find_article, html_pages

# Warnings a correct build of this site logs; any other warning, or an error, fails it.
EXPECTED_WARNINGS = (
    "Feeds generated without SITEURL",  # development settings leave SITEURL empty
)

_SITE = pytest.StashKey[Path]()


def pytest_addoption(parser):
    parser.addoption("--site-dir", metavar="DIR", help="check this built site instead of building one")


def build_site(output: Path) -> None:
    """Build the site into `output` with the real Pelican; raise if it logged a problem."""
    from pelican import Pelican
    from pelican.settings import read_settings

    settings = read_settings(
        str(REPO / "pelicanconf.py"),
        override={
            "PATH": str(REPO / "content"),
            "OUTPUT_PATH": str(output),
            "EXECBLOCKS_MODE": "strict",
        },
    )
    recorder = LogRecorder()
    logging.getLogger().addHandler(recorder)
    try:
        with contextlib.chdir(REPO):
            Pelican(settings).run()
    finally:
        logging.getLogger().removeHandler(recorder)
    problems = [
        f"{r.levelname} {r.name}: {r.getMessage()}"
        for r in recorder.records
        if r.levelno >= logging.ERROR or not r.getMessage().startswith(EXPECTED_WARNINGS)
    ]
    if problems:
        raise RuntimeError("the site build logged problems:\n" + "\n".join(problems))


def site_dir(config: pytest.Config) -> Path:
    """The built site: built on first use (possibly at collection time), then reused."""
    if _SITE not in config.stash:
        if config.getoption("--site-dir"):
            path = Path(config.getoption("--site-dir")).resolve()
        else:
            path = Path(tempfile.mkdtemp(prefix="site-"))
            config.add_cleanup(lambda: shutil.rmtree(path, ignore_errors=True))
            build_site(path)
        if not (path / "index.html").is_file():
            raise pytest.UsageError(f"no index.html in the built site {path}")
        config.stash[_SITE] = path
    return config.stash[_SITE]


# Folders whose every test is slow (they build sites, start kernels, train, or drive a
# browser), so `pytest -m "not slow"` runs the engine's unit tests in seconds. A test
# elsewhere that is slow carries its own @pytest.mark.slow.
SLOW_FOLDERS = {"integration": ("slow",), "browser": ("slow", "browser"), "experiments": ("slow",)}


def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = Path(str(item.path)).relative_to(REPO / "tests").parts
        for folder, marks in SLOW_FOLDERS.items():
            if folder in parts[:-1]:
                for mark in marks:
                    item.add_marker(mark)


def _deselected(metafunc) -> bool:
    """Whether `-m EXPR` leaves this test out, judged before collection is over (the site
    build that parametrizes per-page tests must not run for tests that will not run)."""
    expression = metafunc.config.getoption("markexpr")
    if not expression:
        return False
    marks = {m.name for m in metafunc.definition.iter_markers()}
    parts = Path(str(metafunc.definition.path)).relative_to(REPO / "tests").parts
    marks |= {m for folder, folder_marks in SLOW_FOLDERS.items() if folder in parts[:-1] for m in folder_marks}

    class Marks(dict):
        def __missing__(self, name):
            return name in marks

    return not eval(expression, {"__builtins__": {}}, Marks())  # `not slow`, `a and not b`: Python syntax


def pytest_generate_tests(metafunc):
    for name, pages in (("site_page", html_pages), ("content_page", content_pages)):
        if name in metafunc.fixturenames:
            if _deselected(metafunc):
                metafunc.parametrize(name, ["(not built: deselected by -m)"])
            else:
                metafunc.parametrize(name, pages(site_dir(metafunc.config)))


@pytest.fixture(scope="session")
def built_site(pytestconfig) -> Path:
    """Root folder of the built site."""
    return site_dir(pytestconfig)


@pytest.fixture(scope="session")
def article_page(built_site):
    """article_page(slug) -> path of that article's page in the built site, or None."""
    return lambda slug: find_article(built_site, slug)
