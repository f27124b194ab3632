"""The built site, shared by the link check (tests/integration) and the browser suite.

The site is built once per test session with the real Pelican and the repository's
own settings, in `strict` mode: nothing executes, every block renders from the
results committed under results/, and a stale or missing result fails the build.

`pytest --site-dir=output` checks an already-built site instead (e.g. the output of
`invoke publish`) without building.

Tests that take a `site_page` argument run once per HTML page of the site.
"""

import contextlib
import logging
import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Warnings a correct build of this site logs; anything else fails the build fixture.
EXPECTED_WARNINGS = (
    # Development settings leave SITEURL empty, so feed links are relative.
    "Feeds generated without SITEURL",
)

_SITE_KEY = pytest.StashKey[Path]()


def pytest_addoption(parser):
    parser.addoption(
        "--site-dir",
        metavar="DIR",
        help="check this already-built site instead of building one",
    )


class _Recorder(logging.Handler):
    """Keeps every warning and error logged during the build."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def build_site(output: Path) -> Path:
    """Build the site into `output` as `invoke publish` would, but with relative URLs."""
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
    recorder = _Recorder()
    root = logging.getLogger()
    root.addHandler(recorder)
    try:
        with contextlib.chdir(REPO):
            Pelican(settings).run()
    finally:
        root.removeHandler(recorder)

    problems = [
        f"{r.levelname} {r.name}: {r.getMessage()}"
        for r in recorder.records
        if r.levelno >= logging.ERROR
        or not any(r.getMessage().startswith(w) for w in EXPECTED_WARNINGS)
    ]
    if problems:
        raise RuntimeError("the site build logged problems:\n" + "\n".join(problems))
    if not (output / "index.html").is_file():
        raise RuntimeError(f"the site build wrote no index.html into {output}")
    return output


def site_dir(config: pytest.Config) -> Path:
    """The built site: built on first use (also at collection time), then reused."""
    if _SITE_KEY not in config.stash:
        given = config.getoption("--site-dir")
        if given:
            path = Path(given).resolve()
            if not (path / "index.html").is_file():
                raise pytest.UsageError(f"--site-dir {path}: no index.html there")
        else:
            path = Path(tempfile.mkdtemp(prefix="site-"))
            config.add_cleanup(lambda: shutil.rmtree(path, ignore_errors=True))
            build_site(path)
        config.stash[_SITE_KEY] = path
    return config.stash[_SITE_KEY]


def html_pages(site: Path) -> list[str]:
    """Every HTML page of the site, as a path relative to its root ('tag/x.html')."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


def pytest_generate_tests(metafunc):
    if "site_page" in metafunc.fixturenames:
        metafunc.parametrize("site_page", html_pages(site_dir(metafunc.config)))


@pytest.fixture(scope="session")
def site(pytestconfig) -> Path:
    """Root folder of the built site."""
    return site_dir(pytestconfig)


def find_article(site: Path, slug: str) -> str | None:
    """The page of the article with this slug (the theme marks it with data-slug)."""
    marker = f'data-slug="{slug}"'
    for page in html_pages(site):
        if marker in (site / page).read_text(encoding="utf-8"):
            return page
    return None


os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
