"""The `project` fixture: a small site (articles, code/) in a temp folder, built with the
real Pelican in this process or in a fresh interpreter (the helpers are in tests/support.py)."""

from __future__ import annotations

import pytest

from support import HELLO, HELPER, Project, with_tasks


@pytest.fixture
def project(request, tmp_path) -> Project:
    """A project with content/hello.md and the code/helper.py it imports: nothing built yet,
    or, for a test marked `built`, as its first build left it (a copy of one build per
    session, so each such test does not run hello.md's kernel for its starting point)."""
    if request.node.get_closest_marker("built"):
        return request.getfixturevalue("hello_built_once").copy(tmp_path / "project")
    project = Project(tmp_path / "project")
    project.write("content/hello.md", HELLO)
    project.write("code/helper.py", HELPER)
    return project


@pytest.fixture
def tasks_project(project):
    return with_tasks(project)


@pytest.fixture(scope="session")
def hello_built_once(tmp_path_factory) -> Project:
    """The `project` fixture's project, built once for the session; tests get copies."""
    project = Project(tmp_path_factory.mktemp("hello-built") / "project")
    project.write("content/hello.md", HELLO)
    project.write("code/helper.py", HELPER)
    project.build()
    return project
