"""Small sites for browser tests: built with the repository's settings, theme and
plugins, served on a free port of 127.0.0.1. (A module of its own, not conftest.py:
`from conftest import` finds whichever test folder's conftest was loaded last.)"""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """`directory` served on a free port of 127.0.0.1; yields the root URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def build_fixture_site(root: Path, files: dict[str, str], **overrides) -> Path:
    """A small site under `root` (content/ from `files`) built with the repository's
    settings, theme and plugins; returns its output folder."""
    from pelican import Pelican
    from pelican.settings import read_settings

    for name, text in files.items():
        (root / "content" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "content" / name).write_text(text, encoding="utf-8")
    settings = read_settings(str(REPO / "pelicanconf.py"), override={
        "PATH": str(root / "content"), "OUTPUT_PATH": str(root / "output"), "EXECBLOCKS_ROOT": str(root),
        "THEME": str(REPO / "theme"), "PLUGIN_PATHS": [str(REPO / "plugins")], **overrides})
    with contextlib.chdir(root):
        Pelican(settings).run()
    return root / "output"
