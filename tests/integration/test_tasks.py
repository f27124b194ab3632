"""The invoke tasks a user types, run as a user runs them (a subprocess in the project)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import REPO

INVOKE = str(Path(sys.executable).with_name("invoke"))


@pytest.fixture
def tasks_project(project):
    shutil.copy(REPO / "tasks.py", project.root / "tasks.py")
    project.write("pelicanconf.py", textwrap.dedent("""\
        PATH = "content"
        OUTPUT_PATH = "output"
        PLUGIN_PATHS = ["plugins"]
        PLUGINS = ["execblocks"]
        THEME = "simple"
        TIMEZONE = "UTC"
        FEED_ALL_ATOM = None
        CATEGORY_FEED_ATOM = None
        """))
    (project.root / "plugins").symlink_to(REPO / "plugins")
    return project


def invoke(project, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "EXECBLOCKS_MODE"}
    return subprocess.run([INVOKE, *args], cwd=project.root, env=env, capture_output=True, text=True)


def test_status_check_build_run(tasks_project):
    done = invoke(tasks_project, "check")
    assert done.returncode == 1 and "content/hello.md: no stored result" in done.stderr

    done = invoke(tasks_project, "build")
    assert done.returncode == 0, done.stderr
    assert "execblocks: running content/hello.md" in done.stderr
    assert (tasks_project.output / "index.html").exists() and "x is 42" in tasks_project.html()

    done = invoke(tasks_project, "status")
    assert done.returncode == 0 and re.search(r"content/hello.md +fresh +\d{4}-\d\d-\d\d \S+ +[\d.]+ s +cpu +this machine +-", done.stdout)
    assert invoke(tasks_project, "check").returncode == 0

    done = invoke(tasks_project, "build")
    assert "nothing to execute (1 article(s) fresh)" in done.stderr and "running" not in done.stderr

    done = invoke(tasks_project, "run", "hello")  # by slug, fresh or not
    assert done.returncode == 0 and "execblocks: running content/hello.md" in done.stderr
    done = invoke(tasks_project, "build", "--force")
    assert done.returncode == 0 and "execblocks: running content/hello.md" in done.stderr


def test_status_explains_staleness_and_build_reports_errors(tasks_project):
    assert invoke(tasks_project, "build").returncode == 0
    tasks_project.edit("code/helper.py", "return 2 * value", "return 2 * value  # same result")
    done = invoke(tasks_project, "status")
    assert re.search(r"content/hello.md +stale .* code/helper.py changed$", done.stdout, re.M)
    assert invoke(tasks_project, "check").returncode == 1

    tasks_project.edit("content/hello.md", "x + 1", "x + missing_name")
    done = invoke(tasks_project, "build")
    assert done.returncode == 1
    assert "content/hello.md:25: block 3 raised NameError: name 'missing_name' is not defined" in done.stderr
    assert "Traceback (most recent call last)" not in done.stderr.split("NameError", 1)[0]  # no engine traceback first
    done = invoke(tasks_project, "status")
    assert re.search(r"content/hello.md +failed .* last run failed at content/hello.md:25: NameError", done.stdout)

    done = invoke(tasks_project, "run", "nosuch")
    assert done.returncode == 1 and "no executable article matches 'nosuch' (known: hello)" in done.stderr
