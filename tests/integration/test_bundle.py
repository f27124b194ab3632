"""The runnable bundle (.zip): what a reader downloads to rerun an article anywhere.

Each test unzips a built bundle into an empty folder outside the repository and runs its
notebook there with plain nbclient, in a fresh kernel started from the bundle's own
folder, with no engine on the path and no engine environment variable set.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]

CSV_ARTICLE = """\
Title: Points
Date: 2026-01-03
Slug: points

```{python}
import csv

import numpy as np
from helper import double

with open("data/points.csv") as handle:
    rows = list(csv.DictReader(handle))
ys = np.array([double(float(row["y"])) for row in rows])
print(len(rows), "points, doubled y sum", ys.sum())
```

```{python}
from reproducible import device, seed
seed(3)
print("mean", ys.mean())
```

The mean is `{python} ys.mean()`.
"""

POINTS = "x,y\n1,2.5\n2,3.5\n3,4\n"


def plain_environment() -> dict[str, str]:
    """The test's environment minus anything the engine or this repository sets."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("EXECBLOCKS_", "PYTHON", "BLOG_", "BNLAB_", "MPL"))}


def unzip(data: bytes, into: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(into)


def run_plain(notebook_path: Path, env: dict[str, str], timeout: int = 600) -> nbformat.NotebookNode:
    """Execute a notebook the way a reader would, with nbclient only: kernel cwd = its folder."""
    nb = nbformat.read(notebook_path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(notebook_path.parent)}})
    client.execute(env=env)
    return nb


def block_outputs(nb: nbformat.NotebookNode, block: int) -> list[dict]:
    """The outputs of the article's block `block`, as the reader sees them (no ids, counts)."""
    cell = next(c for c in nb.cells if c.get("id") == f"block-{block + 1}")
    outputs = []
    for output in cell.outputs:
        output = dict(output)
        output.pop("execution_count", None)
        output.pop("metadata", None)
        outputs.append(output)
    return outputs


@pytest.fixture
def points_project(project):
    project.write("content/points.md", CSV_ARTICLE)
    project.write("content/data/points.csv", POINTS)
    project.write("content/data/unused.csv", "never read\n")
    project.write("code/unused_helper.py", "raise RuntimeError('never imported')\n")
    project.write("code/reproducible.py", (REPO / "code/reproducible.py").read_text())
    return project


@pytest.mark.slow
def test_fixture_bundle_reruns_outside_the_repository(points_project, tmp_path):
    project = points_project
    project.build(THEME=str(REPO / "theme"))
    data = (project.output / "results/points/points.zip").read_bytes()
    page = project.html("points")
    assert 'href="results/points/points.zip"' in page  # the "Run it yourself" footer links it

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        infos = archive.infolist()
    # Exactly the notebook, what its run read, requirements, README and rerun.py: nothing else.
    assert names == sorted(names)
    assert names == ["points/README.md", "points/code/helper.py", "points/code/reproducible.py",
                     "points/content/data/points.csv", "points/content/points.ipynb",
                     "points/requirements.txt", "points/rerun.py"]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {stat.S_IMODE(i.external_attr >> 16) for i in infos} == {0o644}

    unpacked = tmp_path / "reader"
    unpacked.mkdir()
    unzip(data, unpacked)
    bundle = unpacked / "points"
    requirements = (bundle / "requirements.txt").read_text().splitlines()
    assert f"numpy=={metadata.version('numpy')}" in requirements
    assert f"ipykernel=={metadata.version('ipykernel')}" in requirements
    assert "execute content/points.ipynb" in (bundle / "README.md").read_text()

    stored = nbformat.read(bundle / "content/points.ipynb", as_version=4)
    rerun = run_plain(bundle / "content/points.ipynb", plain_environment())
    for block in (0, 1):
        assert block_outputs(rerun, block) == block_outputs(stored, block)
    assert block_outputs(rerun, 0)[0]["text"] == "3 points, doubled y sum 20.0\n"
    # The kernel ran the bundle's copies, not the project's or the engine's.
    probe = nbformat.v4.new_code_cell("import helper, sys; print(helper.__file__); "
                                      "print(any(m.startswith('execblocks') for m in sys.modules))")
    rerun.cells.append(probe)
    rerun = run_plain_cells(rerun, bundle / "content")
    printed = rerun.cells[-1].outputs[0]["text"].split()
    assert printed == [str(bundle / "code/helper.py"), "False"]


def run_plain_cells(nb, folder: Path) -> nbformat.NotebookNode:
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    client.execute(env=plain_environment())
    return nb


@pytest.mark.slow
def test_downloads_and_results_are_world_readable(points_project):
    """What a web server serves (0644 under the usual umask 022), never mkstemp's 0600."""
    old = os.umask(0o022)
    try:
        points_project.build()
    finally:
        os.umask(old)
    files = [p for folder in (points_project.output / "results", points_project.results)
             for p in folder.rglob("*") if p.suffix in (".ipynb", ".py", ".zip", ".png", ".svg", ".json")]
    assert {p.suffix for p in files} >= {".ipynb", ".py", ".zip", ".png", ".json"}
    assert {p.relative_to(points_project.root).as_posix(): oct(stat.S_IMODE(p.stat().st_mode))
            for p in files if stat.S_IMODE(p.stat().st_mode) != 0o644} == {}


@pytest.mark.slow
def test_bundle_bytes_are_stable_across_builds(points_project):
    project = points_project
    project.build()
    first = (project.output / "results/points/points.zip").read_bytes()
    (project.output / "results/points/points.zip").unlink()
    project.build()
    assert (project.output / "results/points/points.zip").read_bytes() == first


@pytest.mark.slow
def test_batchnorm_bundle_reruns_outside_the_repository(built_site, tmp_path):
    """The real article: its bundle from the committed results, rerun with the smallest
    profile bnlab offers (the setup block, compared here, does not depend on it)."""
    from bnlab.config import Profiles  # code/ is on pytest's path (pytest.ini)

    profile = "tiny" if hasattr(Profiles, "tiny") else "quick"
    data = (built_site / "results/batchnorm/batchnorm.zip").read_bytes()
    unzip(data, tmp_path)
    notebook = tmp_path / "batchnorm/content/batchnorm.ipynb"
    stored = nbformat.read(notebook, as_version=4)
    env = dict(plain_environment(), BNLAB_PROFILE=profile, OMP_NUM_THREADS="1")
    rerun = run_plain(notebook, env, timeout=1800)
    assert block_outputs(rerun, 0) == block_outputs(stored, 0)
    assert all(o.get("output_type") != "error" for c in rerun.cells for o in c.get("outputs", []))
