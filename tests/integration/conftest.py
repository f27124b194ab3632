"""The `project` fixture: a small site (articles, code/) in a temp folder, built with the
real Pelican in this process or in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

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


@pytest.fixture
def project(tmp_path) -> Project:
    """A project with content/hello.md and the code/helper.py it imports (nothing built yet)."""
    project = Project(tmp_path / "project")
    project.write("content/hello.md", HELLO)
    project.write("code/helper.py", HELPER)
    return project


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


def with_tasks(project: "Project") -> "Project":
    """The project with the repository's tasks.py, a pelicanconf.py, and plugins/."""
    import shutil

    shutil.copy(REPO / "tasks.py", project.root / "tasks.py")
    project.write("pelicanconf.py", TASKS_PELICANCONF)
    (project.root / "plugins").symlink_to(REPO / "plugins")
    return project


@pytest.fixture
def tasks_project(project):
    return with_tasks(project)
