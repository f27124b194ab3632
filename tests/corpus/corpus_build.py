"""Build one corpus case (tests/corpus/<case>/, files exactly as published) into a temp
project with the repository's own settings, theme and plugins, and hand back the page.

The case's files go to content/<case>/ unchanged; the only edits are the ones written
down in the case's CHANGES.md and listed in CHANGES below (a network read, a library
that changed since), applied to the copy, never to the stored file.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from support import LogRecorder, outer_html, parse_html

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
        return visible_text(self.html, skip=("script", "style", "pre"))


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
    return build_many([case], root)[case]


def build_many(cases: list[str], root: Path) -> dict[str, Built]:
    """Build the cases together, as one site, with the real Pelican and this repository's
    pelicanconf.py (one Pelican run: the theme, search index and feeds once, not once a
    case); each case's page is the one written for the article under content/<case>/."""
    from pelican import Pelican, signals
    from pelican.settings import read_settings

    content = root / "content"
    for case in cases:
        prepare(case, root)
    output = root / "output"
    settings = read_settings(str(REPO / "pelicanconf.py"), override={
        "PATH": str(content), "OUTPUT_PATH": str(output), "EXECBLOCKS_ROOT": str(root),
        "CACHE_PATH": str(root / "cache"), "FEED_ALL_ATOM": None,
    })
    recorder = LogRecorder()
    written: dict[str, list[str]] = {case: [] for case in cases}

    def on_written(path, context):  # the build writes into a staging folder: keep save_as
        article = context.get("article")
        if article is not None:
            case = Path(article.source_path).relative_to(content).parts[0]
            written.setdefault(case, []).append(article.save_as)

    logging.getLogger().addHandler(recorder)
    signals.content_written.connect(on_written)
    try:
        with contextlib.chdir(REPO):
            Pelican(settings).run()
    finally:
        signals.content_written.disconnect(on_written)
        logging.getLogger().removeHandler(recorder)
    errors = [r.getMessage() for r in recorder.records if r.levelno >= logging.ERROR]
    named = " and ".join(cases)
    assert not errors, f"{named}: the build logged errors:\n" + "\n".join(errors)
    built = {}
    for case in cases:
        pages = [output / page for page in sorted(set(written[case]))]
        assert len(pages) == 1, f"{case}: expected one article page, found {[p.name for p in pages]}"
        # A warning names its file (content/<case>/...); one that names none is every case's.
        warnings = [r.getMessage() for r in recorder.records if r.levelno == logging.WARNING
                    and (f"{case}/" in r.getMessage() or not any(f"{c}/" in r.getMessage() for c in cases))]
        built[case] = Built(case, output, pages[0], pages[0].read_text(), warnings)
    return built


class _Text(HTMLParser):
    """The text a reader sees: no tags, no text inside `skip` elements; entities decoded."""

    def __init__(self, skip: tuple[str, ...]):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = skip
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.skip:
            self._skipping += 1
            self.parts.append(" ")  # what was there no longer joins the words either side

    def handle_endtag(self, tag):
        if tag in self.skip and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def visible_text(html: str, skip: tuple[str, ...] = ("script", "style")) -> str:
    parser = _Text(skip)
    parser.feed(html)
    return re.sub(r"\s+", " ", "".join(parser.parts).replace("\xa0", " "))


def article_html(html: str) -> str:
    """The article's body (its <article> element), without site chrome."""
    articles = outer_html(html, "article")
    return articles[0] if articles else html


def tags(html: str, name: str) -> list[dict[str, str]]:
    """Attributes of every `name` element, in order (entities decoded)."""
    return [element.attrs for element in parse_html(html).find_all(name)]


def figures(html: str) -> list[str]:
    """The HTML of each top-level <figure> in the article."""
    return outer_html(article_html(html), "figure")
