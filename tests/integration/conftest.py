"""The `project` fixture: a small site (articles, code/) in a temp folder, built with the
real Pelican in this process or in a fresh interpreter (the helpers are in tests/support.py)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
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


@dataclass
class BundleRerun:
    """The BatchNorm bundle, unzipped outside the repository and run as its README says."""

    bundle: Path  # the unzipped bundle's folder (README.md, content/, code/...)
    done: subprocess.CompletedProcess  # `jupyter execute`'s exit status and output
    stored: nbformat.NotebookNode  # the notebook as shipped
    rerun: nbformat.NotebookNode | None  # the executed notebook, None if it was not written


@pytest.fixture(scope="session")
def batchnorm_short_rerun(built_site, tmp_path_factory) -> BundleRerun:
    """The real site's BatchNorm bundle rerun once per session with plain `jupyter execute`
    in its short profile (`BNLAB_PROFILE=short`, about a minute) and no engine environment.
    Several tests read this one run (it is the suite's slowest step); none modifies it."""
    root = tmp_path_factory.mktemp("batchnorm-rerun")
    with zipfile.ZipFile(io.BytesIO((built_site / "results/batchnorm/batchnorm.zip").read_bytes())) as archive:
        archive.extractall(root)
    bundle = root / "batchnorm"
    stored = nbformat.read(bundle / "content/batchnorm.ipynb", as_version=4)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXECBLOCKS_", "PYTHON", "BLOG_", "BNLAB_", "MPL"))}
    env.update(BNLAB_PROFILE="short", BLOG_DEVICE="cpu", OMP_NUM_THREADS="1")
    jupyter = Path(sys.executable).with_name("jupyter")
    done = subprocess.run([str(jupyter), "execute", "content/batchnorm.ipynb", "--output=batchnorm-short"],
                          cwd=bundle, env=env, capture_output=True, text=True, timeout=1200)
    written = bundle / "content/batchnorm-short.ipynb"
    rerun = nbformat.read(written, as_version=4) if written.exists() else None
    return BundleRerun(bundle, done, stored, rerun)
