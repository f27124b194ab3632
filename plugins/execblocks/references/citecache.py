"""An article's rendered citations and References, remembered between builds.

Rendering citations is a pure function of the .bib files, the CSL style, the citations as
written (keys, prefixes, locators, in order), citeproc-py and pylatexenc, and our own code
that drives them. Yet it costs a build that changed nothing, or only prose, about 60 ms:
importing citeproc (with lxml) and pylatexenc, reading the .bib and formatting. So each
article's rendering is kept in one JSON file under Pelican's CACHE_PATH
(`<CACHE_PATH>/execblocks/citations/<hash of the article's path>.json`), as the highlight
cache keeps code (render/highlight.py), and a build whose inputs match it imports none of that.

Two keys, both sha256 of what they name:

- `bib`: the .bib files' and the style's bytes, the installed citeproc-py and pylatexenc
  (their `__init__.py`'s size and mtime: a reinstall writes it anew), and this package's
  modules that shape the output. A .bib whose key is on record was read without error, so
  `bibliography_for` reads it only when the citations must be rendered again; any other
  .bib is read at once, as before, so a broken one fails the build where it always did.
- `citations`: `bib` plus every citation item as written, in document order.

A block's code can reach the file (it runs as the author), so what it holds is used only
when every HTML string in it is already what the sanitiser keeps (`verified`); anything
else is rendered again and replaced. A missing, unreadable or corrupt file costs the
rendering, nothing else; an unwritable one means the next build renders again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

from execblocks.cache_folder import engine_cache
from execblocks.store.results_folder import atomic_write

# Bump when the stored form changes.
FORMAT = 1
# The modules whose code decides what the cached HTML is (hashed into the `bib` key).
OWN_MODULES = ("citations.py", "bibrefs.py", "bibfile.py", "citecache.py")
LIBRARIES = ("citeproc", "pylatexenc")


@dataclass(frozen=True)
class Rendered:
    """One article's citations as rendered: `texts`, the text of each cited item in
    document order (a bracketed citation of two keys gives two); `entries`, the References
    in the style's order as (key, entry HTML, the entry's url or None)."""

    texts: tuple[str, ...]
    entries: tuple[tuple[str, str, str | None], ...]
    layout: tuple[str, str, str]  # the style's citation layout: prefix, delimiter, suffix


def cache_file(cache_dir: Path | None, rel_path: str) -> Path | None:
    if cache_dir is None:
        return None
    return engine_cache(cache_dir, "citations") / f"{hashlib.sha256(rel_path.encode()).hexdigest()[:24]}.json"


def bib_key(bib_paths: list[Path], style_path: Path) -> str:
    """sha256 of everything but the citations that decides the rendering (reads the files)."""
    digest = hashlib.sha256(f"{FORMAT}\0".encode())
    for path in [*bib_paths, style_path]:
        digest.update(hashlib.sha256(Path(path).read_bytes()).digest())
    for name in LIBRARIES:
        spec = importlib.util.find_spec(name)  # finds the package without importing it
        origin = spec.origin if spec is not None else None
        stat = os.stat(origin) if origin else None
        digest.update(f"{name}\0{origin}\0{stat.st_size if stat else ''}\0{stat.st_mtime_ns if stat else ''}\0".encode())
    here = Path(__file__).resolve().parent
    for name in OWN_MODULES:
        digest.update(hashlib.sha256((here / name).read_bytes()).digest())
    return digest.hexdigest()


def citations_key(bib: str, citations) -> str:
    """`bib` plus each citation as written (crossref.Citation: narrative, items)."""
    written = [[c.narrative, [[i.key, i.prefix, i.suffix, i.suppress_author] for i in c.items]] for c in citations]
    return hashlib.sha256(json.dumps([bib, written], ensure_ascii=False).encode()).hexdigest()


def read(path: Path | None) -> dict:
    """The file's JSON object ({} when missing, unreadable or not an object)."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("format") == FORMAT else {}


def lookup(data: dict, key: str, verified, cited: list[str]) -> Rendered | None:
    """The rendering stored under `key`, when it fits the citations (a text per cited item,
    `cited` their keys in order, lowercased; an entry per key cited) and every HTML string
    in it passes `verified`."""
    if data.get("citations") != key:
        return None
    try:
        texts = tuple(data["texts"])
        entries = tuple((key_, html, url) for key_, html, url in data["entries"])
        prefix, delimiter, suffix = data["layout"]
    except (KeyError, TypeError, ValueError):
        return None
    if len(texts) != len(cited) or sorted(k for k, _, _ in entries) != sorted(set(cited)):
        return None
    strings = [*texts, *(html for _, html, _ in entries), prefix, delimiter, suffix]
    if not all(isinstance(s, str) and verified(s) for s in strings):
        return None
    if not all(isinstance(k, str) and (url is None or safe_url(url)) for k, _, url in entries):
        return None
    return Rendered(texts, entries, (prefix, delimiter, suffix))


def safe_url(url) -> bool:
    """A .bib entry's url as references/bibrefs.py keeps one: http(s), nothing that ends an attribute."""
    return (isinstance(url, str) and url.startswith(("https://", "http://"))
            and not any(c in url for c in ' "<>{}\\'))


def write(path: Path | None, bib: str, key: str, rendered: Rendered) -> None:
    if path is None:
        return
    data = {"format": FORMAT, "bib": bib, "citations": key, "texts": list(rendered.texts),
            "entries": [list(entry) for entry in rendered.entries], "layout": list(rendered.layout)}
    try:
        atomic_write(path, json.dumps(data, ensure_ascii=False).encode("utf-8"))
    except OSError:
        pass  # a read-only or full disk: the next build renders again
