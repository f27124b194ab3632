"""KaTeX's HTML for each formula, remembered between builds.

Formulas are rendered when each document is read (extension.py), and starting node with
KaTeX costs about 0.2 s: a build whose formulas are all known should start none. So every
rendered formula is kept in one JSON file under Pelican's CACHE_PATH
(`<CACHE_PATH>/reading/katex.json`), keyed on the TeX, display or inline, and the KaTeX
that rendered it (its script's and our katex_render.js's size and modification time, so a
new KaTeX or new render options mean new entries). A build rewrites the file only when it
rendered something new or stopped using an entry, keeping just the entries it used, so it
never grows. A missing, unreadable or corrupt file costs the rendering again, nothing
else; an unwritable one means the next build renders again. The cache is never published.

A block's code can reach the file (it runs as the author), so an entry read from it is used
only when it is KaTeX's kind of markup for that formula (`verified`): KaTeX's MathML, HTML
and SVG tags and attributes only, no style that could fetch, and the formula's own TeX in
its annotation. Anything else is rendered again and replaced.

The file logic is the same as execblocks' highlight cache (render/highlight.py), kept twice on
purpose: the two plugins are independent (reading works without the engine), and Pelican
loads each plugin by path, so they cannot import a shared module beside them.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

# Bump when the HTML made for the same formula and KaTeX changes (e.g. katex_render.js options).
FORMAT = 1


class FormulaCache:
    """`get(tex, display)` / `put(...)` for one build; `save()` once every document is read."""

    def __init__(self, cache_file: Path | None, renderer_files: tuple[Path, ...]):
        self.cache_file = cache_file
        self.renderer_files = renderer_files
        self._known: dict[str, str] | None = None  # read on the first formula: most builds of a site without math never do
        self._used: dict[str, str] = {}
        self._missed = False
        self._renderer: str | None = None

    def get(self, tex: str, display: bool) -> str | None:
        key = self._key(tex, display)
        markup = self._used.get(key)  # rendered earlier in this build (another document)
        if markup is None:
            markup = self._load().get(key)
            if markup is not None and not verified(tex, markup):
                markup = None  # not KaTeX's markup for this formula: rendered again, replaced
        if markup is not None:
            self._used[key] = markup
        return markup

    def put(self, tex: str, display: bool, markup: str) -> None:
        self._used[self._key(tex, display)] = markup
        self._missed = True

    def save(self, shown: Callable[[], Iterable[str]] = tuple) -> None:
        """Write the entries this build used, if they differ from the file's. `shown`: the
        HTML of every page of the site, asked only when the file would change: a page the
        engine took from its page cache (execblocks/site/page_cache.py) asked for no formula,
        and its formulas, still shown, stay (both forms of a formula that the file holds
        inline and displayed: the annotation does not say which)."""
        if self.cache_file is None or (self._known is None and not self._used):
            return  # no formula this build: the file stays as it is
        if not self._missed and self._used.keys() == self._load().keys():
            return
        self._keep_shown(shown)
        if not self._missed and self._used.keys() == self._load().keys():
            return
        try:
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.cache_file.parent, suffix=".tmp")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    json.dump(self._used, stream, sort_keys=True)
                os.replace(temporary, self.cache_file)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError:
            pass  # a read-only or full disk: the next build renders again
        self._known, self._missed = dict(self._used), False

    def _keep_shown(self, shown: Callable[[], Iterable[str]]) -> None:
        known = self._load()
        for markup in shown():
            if not isinstance(markup, str) or "application/x-tex" not in markup:
                continue
            for annotation in ANNOTATION.findall(markup):
                tex = html.unescape(annotation)
                for display in (False, True):
                    key = self._key(tex, display)
                    if key in known and key not in self._used:
                        self._used[key] = known[key]

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

    def _key(self, tex: str, display: bool) -> str:
        if self._renderer is None:
            self._renderer = _fingerprint(self.renderer_files)
        spec = f"{FORMAT}\0{self._renderer}\0{'display' if display else 'inline'}\0"
        return hashlib.sha256((spec + tex).encode("utf-8")).hexdigest()


# What KaTeX's renderToString writes (trust off: no \href, \url or \includegraphics).
KATEX_TAGS = {
    "span", "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup",
    "msub", "msubsup", "mfrac", "msqrt", "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd",
    "mlabeledtr", "mstyle", "mpadded", "mphantom", "menclose", "mglyph", "svg", "path", "line", "br",
}
KATEX_ATTRIBUTES = {
    "class", "style", "aria-hidden", "xmlns", "encoding", "mathvariant", "mathcolor", "mathbackground",
    "stretchy", "fence", "separator", "symmetric", "largeop", "movablelimits", "lspace", "rspace", "minsize",
    "maxsize", "accent", "accentunder", "linethickness", "scriptlevel", "displaystyle", "display", "notation",
    "columnalign", "columnspacing", "columnlines", "rowalign", "rowspacing", "rowlines", "frame", "width",
    "height", "depth", "voffset", "viewBox", "preserveAspectRatio", "d", "x1", "y1", "x2", "y2",
    "stroke-width", "side", "columnspan", "rowspan", "label", "dir",
}
NAMESPACES = {"http://www.w3.org/1998/Math/MathML", "http://www.w3.org/2000/svg"}
TAG = re.compile(r"<(/?)([A-Za-z][\w:-]*)([^<>]*)>")
ATTRIBUTE = re.compile(r"""([^\s=/"'<>]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
FETCHES = re.compile(r"(?i)url\s*\(|image|@import|expression|javascript:|\\")
ANNOTATION = re.compile(r'<annotation encoding="application/x-tex">(.*?)</annotation>', re.S)


def verified(tex: str, markup: str) -> bool:
    """Whether `markup` could be KaTeX's for `tex`: its tags and attributes only, nothing
    that loads or runs, and `tex` itself in the MathML annotation."""
    annotations = ANNOTATION.findall(markup)
    if len(annotations) != 1 or html.unescape(annotations[0]).strip() != tex.strip():
        return False
    tags = TAG.findall(markup)
    # Every "<" and ">" belongs to a tag (text is escaped), and every tag is KaTeX's.
    if markup.count("<") != len(tags) or markup.count(">") != len(tags):
        return False
    if not {name.lower() for _, name, _ in tags} <= KATEX_TAGS:
        return False
    attributes = {rest for _, _, rest in tags if rest.strip(" /")}
    for rest in attributes:  # the same few attribute strings recur: each is checked once
        for name, value in ATTRIBUTE.findall(rest):
            value = html.unescape(value.strip("\"'"))
            if name not in KATEX_ATTRIBUTES or FETCHES.search(value):
                return False
            if name == "xmlns" and value not in NAMESPACES:
                return False
    return True


def _fingerprint(files: tuple[Path, ...]) -> str:
    """The renderer's identity from its files' metadata: a stat each, no read of a 270 kB script."""
    parts = []
    for path in files:
        try:
            found = path.stat()
            parts.append(f"{path.name}:{found.st_size}:{found.st_mtime_ns}")
        except OSError:
            parts.append(f"{path.name}:missing")
    return "|".join(parts)


def cache_file_for(settings: dict) -> Path | None:
    """Under CACHE_PATH. Pelican makes it absolute when it reads a settings file; a relative
    one (settings given in code, as tests do) is taken from the project, PATH's parent, not
    from wherever the build was started."""
    cache_path = settings.get("CACHE_PATH")
    if not cache_path:
        return None
    path = Path(cache_path)
    if not path.is_absolute():
        path = Path(settings.get("PATH") or ".").resolve().parent / path
    return path / "reading" / "katex.json"
