"""Helpers the tests share, imported as `from support import ...` (pytest.ini puts tests/ on
the path). Fixtures stay in the conftest.py files; test modules import nothing from a
conftest or from another test module: every folder's conftest is a module named `conftest`,
so `from conftest import X` found whichever folder's was imported first, and
`pytest tests/unit tests/integration` failed at collection."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
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
