"""Helpers the tests share, imported as `from support import ...` (pytest.ini puts tests/ on
the path). Fixtures stay in the conftest.py files; test modules import nothing from a
conftest or from another test module: every folder's conftest is a module named `conftest`,
so `from conftest import X` found whichever folder's was imported first, and
`pytest tests/unit tests/integration` failed at collection."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------------------------------
# The built site's pages (tests/conftest.py parametrizes the per-page tests with them)

def html_pages(site: Path) -> list[str]:
    """Every HTML page of the site, relative to its root ('tag/x.html')."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


def content_pages(site: Path) -> list[str]:
    """Pages that show one article or page (the theme's `<article class="post ...">`)."""
    return [p for p in html_pages(site) if '<article class="post' in (site / p).read_text("utf-8")]


def find_article(site: Path, slug: str) -> str | None:
    """The page of the article with this slug (the theme's article template marks it)."""
    for page in html_pages(site):
        if f'data-slug="{slug}"' in (site / page).read_text("utf-8"):
            return page
    return None


# ---------------------------------------------------------------------------------------
# A throwaway project built with the real Pelican (tests/integration/conftest.py's fixtures)

HELLO = """\
Title: Hello
Date: 2026-01-01
Slug: hello

Some prose before the blocks.

```{python}
from helper import double
x = double(21)
print("x is", x)
```

```{python}
#| fig-cap: A rising line
#| fig-alt: A line rising from 1 to 3
#| label: fig-line
import matplotlib.pyplot as plt
plt.plot([1, 2, 3])
plt.title("Rising")
plt.xlabel("step")
plt.ylabel("value");
```

```{python}
x + 1
```

The answer is `{python} x * 10`.
"""

HELPER = "def double(value):\n    return 2 * value\n"


@dataclass
class Project:
    """A throwaway project: content/, code/, results/, output/ under one root."""

    root: Path

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def results(self) -> Path:
        return self.root / "results"

    @property
    def output(self) -> Path:
        return self.root / "output"

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def edit(self, rel: str, old: str, new: str) -> None:
        path = self.root / rel
        text = path.read_text()
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1))

    def settings(self, **overrides):
        from pelican.settings import read_settings

        values = {
            "PATH": str(self.content), "OUTPUT_PATH": str(self.output),
            "PLUGIN_PATHS": [str(REPO / "plugins")], "PLUGINS": ["execblocks"],
            "THEME": "simple", "EXECBLOCKS_ROOT": str(self.root), "TIMEZONE": "UTC",
            "SITEURL": "", "RELATIVE_URLS": True, "FEED_ALL_ATOM": None, "CATEGORY_FEED_ATOM": None,
            "LOAD_CONTENT_CACHE": False, "CACHE_CONTENT": False, "EXECBLOCKS_LOCK_TIMEOUT": 600,
        }
        values.update(overrides)
        return read_settings(None, override=values)

    def engine(self, **overrides):
        from execblocks import EngineSettings

        return EngineSettings.from_pelican(self.settings(**overrides))

    def build(self, **overrides) -> None:
        """Build in this process with the real Pelican (the plugin runs what is stale)."""
        from pelican import Pelican

        Pelican(self.settings(**overrides)).run()

    def write_conf(self) -> Path:
        conf = self.root / "siteconf.py"
        conf.write_text(textwrap.dedent(f"""\
            PATH = {str(self.content)!r}
            OUTPUT_PATH = {str(self.output)!r}
            PLUGIN_PATHS = [{str(REPO / 'plugins')!r}]
            PLUGINS = ["execblocks"]
            THEME = "simple"
            EXECBLOCKS_ROOT = {str(self.root)!r}
            TIMEZONE = "UTC"
            FEED_ALL_ATOM = None
            CATEGORY_FEED_ATOM = None
            EXECBLOCKS_LOCK_TIMEOUT = 600  # only a hang should hit it
            """))
        return conf

    def pelican_command(self) -> list[str]:
        return [sys.executable, "-m", "pelican", "-s", str(self.write_conf()), "--fatal", "errors"]

    def pelican(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        """Build in a fresh interpreter (for blocked imports); `args` go to Pelican's command line."""
        return subprocess.run(self.pelican_command() + list(args), cwd=self.root,
                              env=dict(os.environ, **(env or {})), capture_output=True, text=True)

    def html(self, slug: str = "hello") -> str:
        return (self.output / f"{slug}.html").read_text()

    def copy(self, root: Path) -> Project:
        """This project, as built so far, at `root`: results hold no absolute path, so what
        was fresh here is fresh there (its first build runs nothing)."""
        shutil.copytree(self.root, root, symlinks=True)
        return Project(root)


# A project that runs tasks.py as a user does (`invoke build` in its root).
TASKS_PELICANCONF = """\
PATH = "content"
OUTPUT_PATH = "output"
PLUGIN_PATHS = ["plugins"]
PLUGINS = ["execblocks"]
THEME = "simple"
TIMEZONE = "UTC"
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
"""


def with_tasks(project: Project) -> Project:
    """The project with the repository's tasks.py, a pelicanconf.py, and plugins/."""
    shutil.copy(REPO / "tasks.py", project.root / "tasks.py")
    project.write("pelicanconf.py", TASKS_PELICANCONF)
    (project.root / "plugins").symlink_to(REPO / "plugins")
    return project


INVOKE = str(Path(sys.executable).with_name("invoke"))


def invoke(project: Project, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`invoke ARGS` in the project's root, as a user types it (a subprocess)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("EXECBLOCKS_MODE", "SITEURL")}
    return subprocess.run([INVOKE, *args], cwd=project.root, env=dict(environment, **(env or {})),
                          capture_output=True, text=True)


@functools.cache
def _site_markdown() -> dict:
    from pelican.settings import read_settings

    return read_settings(str(REPO / "pelicanconf.py"))["MARKDOWN"]


def reading_settings(**overrides) -> dict:
    """Pelican settings for a build with both plugins and this theme (plugins/reading)."""
    return dict(PLUGINS=["execblocks", "reading"], THEME=str(REPO / "theme"),
                MARKDOWN=_site_markdown(), FEED_ALL_ATOM="feeds/all.atom.xml",
                SITEMAP={"exclude": [r"(^|/)404\.html$"]},
                DIRECT_TEMPLATES=["index", "tags", "categories", "authors", "archives"], **overrides)


# ---------------------------------------------------------------------------------------
# Reading a page as a tree (html.parser): tests look for elements and their nesting, so a
# reordered attribute or a line break between tags fails no test, and a missing one does.

VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
             "track", "wbr"}


@dataclass(eq=False)
class Element:
    tag: str
    attrs: dict[str, str]
    children: list = field(default_factory=list)  # Element | str (text, entities decoded)

    def __getitem__(self, name: str) -> str:
        return self.attrs[name]

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    @property
    def elements(self) -> list[Element]:
        """The element children, in order (no text)."""
        return [c for c in self.children if isinstance(c, Element)]

    def iter(self):
        """Every element below this one, in document order."""
        for child in self.elements:
            yield child
            yield from child.iter()

    def matches(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> bool:
        """`cls`: one of its classes; other keywords: attributes (aria_label: aria-label)."""
        return ((tag is None or self.tag == tag) and (cls is None or cls in self.classes)
                and all(self.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items()))

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Element]:
        return [e for e in self.iter() if e.matches(tag, cls, **attrs)]

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Element | None:
        return next((e for e in self.iter() if e.matches(tag, cls, **attrs)), None)


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.open = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.open[-1].children.append(element)
        if tag not in VOID_TAGS:
            self.open.append(element)

    def handle_startendtag(self, tag, attrs):
        self.open[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        # Close up to the matching open element (an unclosed <p> or <li> inside it ends
        # with it); a stray end tag closes nothing.
        for depth in range(len(self.open) - 1, 0, -1):
            if self.open[depth].tag == tag:
                del self.open[depth:]
                return

    def handle_data(self, data):
        self.open[-1].children.append(data)


def parse_html(html: str) -> Element:
    """The page as a tree of Elements under a '#document' root."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


class LogRecorder(logging.Handler):
    """Keeps every warning and error logged while it is attached (a build's log)."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


class _Spans(HTMLParser):
    """Where each outermost `tag` element (of class `cls`, if given) starts and ends in the source."""

    def __init__(self, source: str, tag: str, cls: str | None):
        super().__init__(convert_charrefs=True)
        self.source, self.tag, self.cls = source, tag, cls
        self.line_starts = [0] + [i + 1 for i, c in enumerate(source) if c == "\n"]
        self.spans: list[tuple[int, int]] = []
        self._depth, self._start = 0, 0

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if tag == self.tag:
            if self._depth == 0:
                if self.cls is not None and self.cls not in (dict(attrs).get("class") or "").split():
                    return  # not one of those wanted: its end tag is not counted either
                self._start = self._offset()
            self._depth += 1

    def handle_endtag(self, tag):
        if tag == self.tag and self._depth:
            self._depth -= 1
            if self._depth == 0:
                self.spans.append((self._start, self.source.index(">", self._offset()) + 1))


def outer_html(html: str, tag: str, cls: str | None = None) -> list[str]:
    """The source of each outermost `tag` element (of class `cls`), in order, as written."""
    parser = _Spans(html, tag, cls)
    parser.feed(html)
    parser.close()
    return [html[start:end] for start, end in parser.spans]



# ---------------------------------------------------------------------------------------
# Store records for tests that need one but no run (tests/unit)

def stored_record(key: str = "k", **fields):
    """A Record as the store keeps one: content/post.md, python3, no blocks; `fields` override."""
    from execblocks.store.records import Environment, Record

    values = dict(article="content/post.md", key=key, kernel="python3", blocks=(), inline=(),
                  dependencies={}, environment=Environment("cpu", {"python": "3.11.7"}, {}))
    return Record(**{**values, **fields})


def provenance(seconds: float = 1.0, at: str = "2026-11-25T10:00:00+00:00"):
    """A Provenance: run at `at`, one block, `seconds` long."""
    from execblocks.store.records import Provenance

    return Provenance(at, seconds, (seconds,))


def blog_style_figure(figsize=(8, 4)):
    """A figure like the articles': the blog style (code/blog.mplstyle), two data colours,
    a black dashed line, a framed legend, a title, a filled band (tests/unit's figure tests)."""
    import matplotlib.pyplot as plt
    import numpy as np

    with plt.style.context(str(REPO / "code/blog.mplstyle")):
        figure, axes = plt.subplots(1, 2, figsize=figsize)
        x = np.linspace(0, 1, 50)
        axes[0].plot(x, x ** 2, label="square")
        axes[0].plot(x, x, "k--", label="identity")
        axes[0].legend(frameon=True)
        axes[0].set_title("Curves")
        axes[1].fill_between(x, x - 0.1, x + 0.1, alpha=0.3)
        axes[1].set_xlabel("x")
    return figure


# ---------------------------------------------------------------------------------------
# Rendering one block from stored outputs, without a kernel (tests/unit)

RENDER_ROOT = Path("/project")


def installed_libraries(root: Path, widget_modules: tuple[str, ...] = ("jupyter-leaflet",)):
    """A BrowserLibraries that finds every browser library, laid out under `root` as npm, the
    plotly package and widget libraries' notebook extensions install them (empty files: a
    page links them, nothing here runs them)."""
    from execblocks.render.libraries import SOURCES, BrowserLibraries

    for library, files in SOURCES.items():
        for source, _ in files:
            kind, _, rel = source.partition(":")
            path = root / ("node_modules" if kind == "npm" else "python") / rel.replace("*", "font")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"// {library}\n")
    for module in widget_modules:
        folder = root / "nbextensions" / module
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "index.js").write_text("define([], function () { return {}; });\n")
    return BrowserLibraries(node_roots=(root,), nbextensions=(root / "nbextensions",),
                            package_dir=lambda name: root / "python" / name)


@functools.cache
def _all_libraries():
    import tempfile

    return installed_libraries(Path(tempfile.mkdtemp(prefix="execblocks-libraries-")))


def render(text: str, outputs: list, inline: dict | None = None, metadata: dict | None = None, libraries=None):
    """Markdown `text` whose first block stored `outputs` (and the notebook `metadata`: a
    widget state) -> (HTML, RenderedArticle). `libraries`: where the browser libraries are
    installed (default: all of them are)."""
    import markdown
    import nbformat

    from execblocks.references.crossref import ReferencesExtension
    from execblocks.render.blocks import ExecBlocksExtension, RenderedArticle
    from execblocks.source.parse import parse_text
    from execblocks.store.records import Environment, InlineValue, Provenance, Record
    from execblocks.store.results_folder import StoredEntry

    root = RENDER_ROOT
    article = parse_text(text, root / "content/a.md", root, root / "content")
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(article.blocks[0].code)
    cell.metadata["execblocks"] = {"block": 0}
    cell.outputs = outputs
    nb.cells = [cell]
    nb.metadata.update(metadata or {})
    values = tuple(InlineValue(k, v) for k, v in (inline or {"x": "<42>"}).items())
    record = Record("content/a.md", "k", "python3", (), values, {},
                    Environment("cpu", {"python": "3.11.7"}, {}))
    entry = StoredEntry("a", root / "results/a", record,
                        Provenance("2026-11-25T10:00:00+00:00", 0.25, (0.25,)), None)
    entry.notebook = lambda: nb
    rendered = RenderedArticle(article, entry, libraries=libraries or _all_libraries())
    html = markdown.markdown(text, extensions=["fenced_code", ExecBlocksExtension(rendered),
                                               ReferencesExtension("content/a.md", text)])
    return html, rendered


# ---------------------------------------------------------------------------------------
# The browser suite (tests/browser/conftest.py's fixtures, and tests that open their own pages)

WIDTHS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "wide": {"viewport": {"width": 1920, "height": 1080}},
    "phone": {
        "viewport": {"width": 375, "height": 740},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}

# Load every image now, lazy ones included, and wait until each has loaded or failed.
LOAD_EVERYTHING = """async () => {
  await Promise.all([...document.images].map(img => {
    img.loading = "eager";
    return img.decode().catch(() => null);
  }));
  await document.fonts.ready;
}"""


@contextlib.contextmanager
def engine_hidden_from_new_processes():
    """Worker processes start with this process's sys.path (multiprocessing's spawn):
    without plugins/ on it, they cannot import the engine, as on a machine that only has
    the requirements installed. (This process keeps it: execblocks is imported already.)"""
    plugins = (REPO / "plugins").resolve()
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != plugins]
    try:
        yield
    finally:
        sys.path[:] = saved


# Source for a fresh interpreter's script (a build, as users run one): counts, in `compiled`,
# the templates Jinja compiles from source (what site/template_cache.py saves).
COUNT_COMPILED_TEMPLATES = """\
import jinja2
compiled = []
_compile_template = jinja2.Environment.compile
def _counting_compile(env, source, name=None, *args, **kwargs):
    compiled.append(name)
    return _compile_template(env, source, name, *args, **kwargs)
jinja2.Environment.compile = _counting_compile
"""
