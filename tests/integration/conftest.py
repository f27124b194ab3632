"""The `project` fixture: a small site (articles, code/) in a temp folder, built with the
real Pelican in this process or in a fresh interpreter (the helpers are in tests/support.py)."""

from __future__ import annotations

import pytest

from support import HELLO, HELPER, Project, with_tasks


@pytest.fixture
def project(tmp_path) -> Project:
    """A project with content/hello.md and the code/helper.py it imports (nothing built yet)."""
    project = Project(tmp_path / "project")
    project.write("content/hello.md", HELLO)
    project.write("code/helper.py", HELPER)
    return project


@pytest.fixture
def tasks_project(project):
    return with_tasks(project)
