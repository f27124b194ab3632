"""Browser suite: the built site (tests/conftest.py) served by http.server on
127.0.0.1, in Debian's Chromium driven by Playwright.

One browser for the session, one context per width, a fresh page per visit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from fixture_sites import serve
from support import LOAD_EVERYTHING, WIDTHS

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BROWSER_WAIT_MS = 300_000


@pytest.fixture(scope="session")
def base_url(built_site) -> str:
    """The built site served on a free port of 127.0.0.1."""
    with serve(built_site) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set CHROMIUM)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def contexts(browser):
    """contexts(width) -> the browser context for "desktop" or "phone", made once."""
    made = {}

    def get(width: str):
        if width not in made:
            made[width] = browser.new_context(**WIDTHS[width])
            # Every wait is on an event (load, decode, a selector); the limit only catches a
            # hang. Playwright's 30 s default is hit by full-page screenshots on a loaded CI box.
            made[width].set_default_timeout(BROWSER_WAIT_MS)
        return made[width]

    yield get
    for context in made.values():
        context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where screenshots go (gitignored): test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@dataclass
class Visit:
    """A loaded page and what went wrong while loading it."""

    page: object  # playwright.sync_api.Page
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)


@pytest.fixture
def visit(contexts, base_url):
    """visit(width, path, color_scheme="light") -> Visit, with every image loaded."""
    opened = []

    def open_page(width: str, path: str, color_scheme: str = "light") -> Visit:
        page = contexts(width).new_page()
        opened.append(page)
        page.emulate_media(color_scheme=color_scheme)
        seen = Visit(page)
        page.on("console", lambda m: m.type == "error" and seen.console_errors.append(m.text))
        page.on("pageerror", lambda e: seen.console_errors.append(f"uncaught: {e}"))
        page.on("requestfailed", lambda r: seen.failed_requests.append(f"{r.url} ({r.failure})"))
        page.on(
            "response",
            lambda r: r.status >= 400 and seen.failed_requests.append(f"{r.url} (HTTP {r.status})"),
        )
        page.goto(base_url + path, wait_until="load")
        page.evaluate(LOAD_EVERYTHING)
        return seen

    yield open_page
    for page in opened:
        page.close()


def pytest_collection_modifyitems(items):
    """Everything under tests/browser/ drives Chromium over a built site."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)
