"""A site build as tasks.py asks for it: one Pelican run, its settings, its errors.

`build()` runs Pelican exactly once; the engine's update happens inside that run
(the plugin's `get_generators` handler) and the run's BuildSession comes back. What
differs between `build`, `build --force`, `run ARTICLE`, `rebuild` and `preview` is
only which settings file and which Pelican settings (`EXECBLOCKS_MODE`, `EXECBLOCKS_ONLY`,
`DELETE_OUTPUT_DIRECTORY`) the run gets; nothing goes through the environment.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from execblocks.config import EngineSettings
from execblocks.errors import ConfigError, ExecBlocksError, SiteBuildError, SiteWriteError, file_being_written
from execblocks.site.session import SESSION_KEY, BuildSession, session_of
from execblocks.site.page_cache import STORE_KEY as PAGES, PageCache, folder_for
from execblocks.site.template_cache import TemplateCodeCache

FEED_WARNING = "Feeds generated without SITEURL"


def read_settings(settings_file: str, quiet_feeds: bool = False, **overrides: Any) -> dict:
    """Pelican's settings from `settings_file` with `overrides` on top (as `pelican -e` gives).
    `quiet_feeds` drops Pelican's warning about feeds without SITEURL, for tasks that
    write no feed (status, check)."""
    from pelican.settings import read_settings as pelican_read_settings

    with _without_feed_warning() if quiet_feeds else contextlib.nullcontext():
        return pelican_read_settings(settings_file, override=overrides)


def engine_settings(settings_file: str) -> EngineSettings:
    return EngineSettings.from_pelican(read_settings(settings_file, quiet_feeds=True))


def build_cache_folders(settings_file: str) -> list:
    """Where the site's pages as read and its compiled templates are kept between builds
    (site/page_cache.py, site/template_cache.py); none without a CACHE_PATH."""
    from execblocks.site import template_cache

    cache_dir = engine_settings(settings_file).cache_dir
    return [folder for folder in (folder_for(cache_dir), template_cache.folder_for(cache_dir)) if folder is not None]


def build(settings_file: str, template_cache: TemplateCodeCache | None = None, page_cache: PageCache | None = None,
          **overrides: Any) -> BuildSession:
    """One Pelican run (results brought up to date inside it). Raises ExecBlocksError with
    a file:line message when a block fails or results are stale in strict mode.
    `template_cache`, `page_cache`: compiled templates and read pages kept from this process's
    earlier builds (livereload; site/template_cache.py, site/page_cache.py)."""
    from pelican import Pelican
    from pelican.log import init as init_logging

    init_logging(fatal="errors", name="pelican")  # as `pelican --fatal errors`; once per process
    settings = read_settings(settings_file, **overrides)
    if template_cache is not None:
        settings["JINJA_ENVIRONMENT"] = {**settings["JINJA_ENVIRONMENT"], "bytecode_cache": template_cache}
    if page_cache is not None:
        settings[PAGES] = page_cache
    try:
        Pelican(settings).run()
    except RuntimeError as error:
        if str(error) != "Warning or error encountered":  # pelican.log.FatalLogger's
            raise
        raise SiteBuildError() from None
    except OSError as error:  # a full disk: one line naming the file (site/plain_errors.py), not a traceback
        from execblocks.site.plain_errors import plain_message

        if not error.filename:
            error.filename = file_being_written(error.__traceback__)
        raise SiteWriteError(plain_message(error)) from None
    return session_of(settings)


def require_siteurl(settings_file: str) -> str:
    """The production SITEURL, or a ConfigError saying how to give it."""
    siteurl = read_settings(settings_file, quiet_feeds=True).get("SITEURL", "")
    if not siteurl.startswith(("http://", "https://")):
        raise ConfigError(f"SITEURL is {siteurl!r} in {settings_file}; a published site needs its address, "
                          f"e.g. `SITEURL=https://you.github.io/blog invoke publish`")
    return siteurl


def rebuilder(settings_file: str, report: Callable[[str], None]) -> Callable[[], bool]:
    """livereload's callback: each call is one `build`; a failure is reported, not raised,
    so the server keeps serving the last good site. Returns whether the build succeeded.
    The builds share their compiled templates and the pages they read (site/template_cache.py,
    site/page_cache.py)."""
    templates, pages = TemplateCodeCache(), PageCache()

    def rebuild() -> bool:
        try:
            build(settings_file, template_cache=templates, page_cache=pages)
            return True
        except ExecBlocksError as error:
            report(str(error))
            return False

    return rebuild


class BackgroundBuilds:
    """livereload's callback for source changes: runs `rebuild` in a thread of its own and
    returns at once, so the server goes on serving the last finished site while blocks run
    (a page request waited 27.5 s behind a 20 s block when the build ran in the server's
    loop). Changes during a build queue one more build, never two at once. The thread is a
    daemon: Ctrl-C stops the server, and the kernels' watchdog takes them down with it (in
    the server's loop, the engine took Ctrl-C as "stop this build" and the server went on)."""

    def __init__(self, rebuild: Callable[[], bool]):
        self.rebuild = rebuild
        self._lock = threading.Lock()
        self._running = False
        self._again = False

    def __call__(self) -> None:
        with self._lock:
            if self._running:
                self._again = True
                return
            self._running = True
        threading.Thread(target=self._builds, name="execblocks-build", daemon=True).start()

    def _builds(self) -> None:
        while True:
            try:
                self.rebuild()
            finally:
                with self._lock:
                    if not self._again:
                        self._running = False
                        return
                    self._again = False


@contextlib.contextmanager
def _without_feed_warning() -> Iterator[None]:
    class DropFeedWarning(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return not record.getMessage().startswith(FEED_WARNING)

    logger, dropper = logging.getLogger("pelican.settings"), DropFeedWarning()
    logger.addFilter(dropper)
    try:
        yield
    finally:
        logger.removeFilter(dropper)


__all__ = ["build", "read_settings", "engine_settings", "require_siteurl", "rebuilder", "BackgroundBuilds",
           "SiteBuildError",
           "SESSION_KEY"]
