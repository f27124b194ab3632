"""Build one corpus case (tests/corpus/<case>/, files exactly as published) into a temp
project with the repository's own settings, theme and plugins, and hand back the page.

The case's files go to content/<case>/ unchanged; the only edits are the ones written
down in the case's CHANGES.md and listed in CHANGES below (a network read, a library
that changed since), applied to the copy, never to the stored file.
"""

from __future__ import annotations

import contextlib
import html as htmllib
import logging
import re
import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

CORPUS = Path(__file__).resolve().parent
REPO = CORPUS.parents[1]

# case -> [(file, exact text in the source, replacement)]; each is explained in the case's CHANGES.md
CHANGES: dict[str, list[tuple[str, str, str]]] = {
    "quarto-penguins": [(
        "penguins.ipynb",
        'pd.read_csv(\\"https://pos.it/palmer-penguins-github-csv\\")',
        'pd.read_csv(\\"palmer-penguins.csv\\")',
    )],
    "pdsh-line-plots": [(
        "04.01-Simple-Line-Plots.ipynb",
        "plt.style.use('seaborn-whitegrid')",
        "plt.style.use('seaborn-v0_8-whitegrid')",
    )],
}

# Pelican's list pages: anything else in output/ ending in .html is an article page.
LIST_PAGES = {"index.html", "archives.html", "authors.html", "categories.html", "tags.html", "404.html"}


class _Recorder(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@dataclass
class Built:
    """What a reader gets for one case: the article's HTML, its visible text, the build's log."""

    case: str
    output: Path
    page: Path
    html: str
    warnings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return visible_text(self.html)

    @property
    def prose(self) -> str:
        """The visible text outside code boxes (code may quote Pandoc syntax on purpose)."""
        return visible_text(re.sub(r"<pre\b.*?</pre>", " ", self.html, flags=re.S))


def case_names() -> list[str]:
    return sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and (p / "SOURCE.md").exists())


def prepare(case: str, root: Path) -> Path:
    """content/<case>/ under `root`: the case's files with its documented changes applied."""
    content = root / "content"
    target = content / case
    shutil.copytree(CORPUS / case, target, ignore=shutil.ignore_patterns("SOURCE.md", "CHANGES.md"))
    for name, old, new in CHANGES.get(case, []):
        path = target / name
        text = path.read_text()
        assert text.count(old) == 1, f"{case}: the documented change no longer applies to {name}"
        path.write_text(text.replace(old, new))
    (root / "code").mkdir(exist_ok=True)
    return content


def build(case: str, root: Path) -> Built:
    """Build the case with the real Pelican and this repository's pelicanconf.py."""
    from pelican import Pelican
    from pelican.settings import read_settings

    content = prepare(case, root)
    output = root / "output"
    settings = read_settings(str(REPO / "pelicanconf.py"), override={
        "PATH": str(content), "OUTPUT_PATH": str(output), "EXECBLOCKS_ROOT": str(root),
        "CACHE_PATH": str(root / "cache"), "FEED_ALL_ATOM": None,
    })
    recorder = _Recorder()
    logging.getLogger().addHandler(recorder)
    try:
        with contextlib.chdir(REPO):
            Pelican(settings).run()
    finally:
        logging.getLogger().removeHandler(recorder)
    errors = [r.getMessage() for r in recorder.records if r.levelno >= logging.ERROR]
    assert not errors, f"{case}: the build logged errors:\n" + "\n".join(errors)
    site_pages = LIST_PAGES | {f"{name}.html" for name in settings["DIRECT_TEMPLATES"]}  # search.html too
    pages = [p for p in output.glob("*.html") if p.name not in site_pages]
    assert len(pages) == 1, f"{case}: expected one article page, found {[p.name for p in pages]}"
    return Built(case, output, pages[0], pages[0].read_text(),
                 [r.getMessage() for r in recorder.records if r.levelno == logging.WARNING])


class _Text(HTMLParser):
    """The text a reader sees: no tags, scripts or styles; entities decoded."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", "".join(parser.parts).replace("\xa0", " "))


def article_html(html: str) -> str:
    """The article's body (between <article ...> and </article>), without site chrome."""
    match = re.search(r"<article\b.*</article>", html, re.S)
    return match.group(0) if match else html


def tags(html: str, name: str) -> list[dict[str, str]]:
    """Attributes of every `name` element, in order."""
    found = []
    for match in re.finditer(rf"<{name}\b([^>]*)>", html):
        attrs = {k: htmllib.unescape(v) for k, v in re.findall(r'([\w:-]+)="([^"]*)"', match.group(1))}
        found.append(attrs)
    return found


def figures(html: str) -> list[str]:
    """The HTML of each top-level <figure> in the article."""
    body = article_html(html)
    out, depth, start = [], 0, 0
    for match in re.finditer(r"<(/?)figure\b[^>]*>", body):
        if not match.group(1):
            if depth == 0:
                start = match.start()
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                out.append(body[start:match.end()])
    return out
