"""A block's code as Pygments' HTML, remembered between builds.

Highlighting is a pure function of the code, the lexer, the formatter's options and
Pygments' version, but the first call in a process compiles the Python lexer's regular
expressions (about 25 ms here): a build that changed nothing, or only prose, would pay
that on every run. So each article's highlighted blocks are kept in one JSON file under
Pelican's CACHE_PATH (`<CACHE_PATH>/execblocks/highlight/<article id>.json`). A build
reads it, highlights only what it lacks, and rewrites it only when something changed,
keeping just the entries this build used, so it never grows. A missing, unreadable or
corrupt file costs the highlighting again, nothing else; the cache is never published.

A block can reach the cache file (it runs as the author), so an entry is used only when it
is what Pygments makes of that code: Pygments' frame, `<span class="...">` tags and nothing
else, around exactly the code's text (`verified`, a regular expression and a comparison:
far cheaper than compiling the lexer). Anything else is highlighted again and replaced.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from pathlib import Path

from execblocks.cache_folder import engine_cache
from execblocks.store.results_folder import atomic_write

# Bump when the HTML this module makes changes for the same inputs.
FORMAT = 1
CSS_CLASS = "highlight"
FRAME_OPEN, FRAME_CLOSE = f'<div class="{CSS_CLASS}"><pre><span></span>', "</pre></div>\n"
TOKEN_TAG = re.compile(r'<span class="[a-z0-9]+(?: [a-z0-9]+)*">|</span>')
LINE_NUMBER = re.compile(r'<span class="linenos"> *\d+</span>')


class Highlighter:
    """`html(code, numbered)` for one article; `save()` once its blocks are rendered."""

    def __init__(self, cache_file: Path | None = None):
        self.cache_file = cache_file
        self._known: dict[str, str] | None = None  # read lazily: an article may have no code shown
        self._used: dict[str, str] = {}
        self._missed = False

    def html(self, code: str, numbered: bool = False) -> str:
        key = _key(code, numbered)
        known = self._load()
        if key in known and verified(code, known[key]):
            markup = known[key]
        else:
            markup = _highlight(code, numbered)
            self._missed = True
        self._used[key] = markup
        return markup

    def save(self) -> None:
        """Write the entries this article used, if they differ from the file's."""
        if self.cache_file is None or self._known is None:
            return
        if not self._missed and self._used.keys() == self._known.keys():
            return
        try:
            atomic_write(self.cache_file, json.dumps(self._used, sort_keys=True).encode("utf-8"))
        except OSError:
            pass  # a read-only or full disk: the next build highlights again
        self._known, self._missed = dict(self._used), False

    def _load(self) -> dict[str, str]:
        if self._known is None:
            self._known = {}
            if self.cache_file is not None:
                try:
                    loaded = json.loads(self.cache_file.read_text(encoding="utf-8"))
                    if isinstance(loaded, dict) and all(isinstance(v, str) for v in loaded.values()):
                        self._known = loaded
                except (OSError, ValueError):
                    pass
        return self._known


def cache_file_for(pelican_settings: dict, root: Path, article_id: str) -> Path | None:
    """Where an article's highlighted code is kept: under CACHE_PATH, which Pelican leaves
    relative to the working directory unless the settings file sets it; here a relative
    one is the project's (`root`), so a build started from elsewhere finds the same cache."""
    cache_path = pelican_settings.get("CACHE_PATH")
    if not cache_path:
        return None
    return engine_cache(Path(root, cache_path), "highlight") / f"{article_id}.json"


def verified(code: str, markup: str) -> bool:
    """Whether `markup` is Pygments' HTML for `code`: its frame, token spans (and line
    numbers) only, and the code's own text once the tags are taken away."""
    if not (markup.startswith(FRAME_OPEN) and markup.endswith(FRAME_CLOSE)):
        return False
    text = TOKEN_TAG.sub("", LINE_NUMBER.sub("", markup[len(FRAME_OPEN):-len(FRAME_CLOSE)]))
    if "<" in text or ">" in text:
        return False
    # Pygments' lexer drops leading and trailing blank lines and reads \r\n as \n.
    expected = code.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    return html.unescape(text).strip("\n") == expected


def _key(code: str, numbered: bool) -> str:
    from pygments import __version__ as pygments_version  # the package's __init__ only: cheap

    spec = f"{FORMAT}\0{pygments_version}\0python\0{CSS_CLASS}\0{'inline' if numbered else ''}\0"
    return hashlib.sha256((spec + code).encode("utf-8")).hexdigest()


def _highlight(code: str, numbered: bool) -> str:
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    formatter = HtmlFormatter(cssclass=CSS_CLASS, linenos="inline" if numbered else False)
    return highlight(code, PythonLexer(), formatter)
