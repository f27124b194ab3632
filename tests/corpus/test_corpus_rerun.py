"""`invoke verify` and resume from snapshots on published notebooks, not only on the
articles the engine's own tests write: The Basics of NumPy Arrays (Python Data Science
Handbook, tests/corpus/pdsh-numpy-basics, 51 code cells drawing from one seeded
generator and printing what they made) and Simple Line Plots (the same book,
tests/corpus/pdsh-line-plots, 15 cells that each draw a figure with pyplot).

- verify reruns it away from the project and finds every stored line and value again;
- after one cell is edited, the build resumes from the snapshot taken before that cell
  and stores, byte for byte, what a full run from the top stores; on the figures, with
  snapshots taken where the default rule takes them (execkernel/snapshot.py's SHARE).
"""

from __future__ import annotations

import json

import pytest

from corpus_build import prepare
from execblocks.verify.run import verify
from support import Project

pytestmark = pytest.mark.slow

CASE = "pdsh-numpy-basics"
NOTEBOOK = f"content/{CASE}/02.02-The-Basics-Of-NumPy-Arrays.ipynb"
ARTICLE = f"{CASE}/02.02-The-Basics-Of-NumPy-Arrays"
EDITED_CELL = "x2[0, 0] = 12\nx2"  # the 12th code cell: changes x2 in place for the cells after it
# A snapshot after every block, as tests/integration/test_resume.py takes them: by default one
# is taken only where the blocks since the last ran longer than saving it takes (timing), and
# these cells run in 0.01 s each, so where a resume starts would depend on the machine's load.
EVERY_BLOCK = {"EXECBLOCKS_SNAPSHOT_EVERY_BLOCK": True}


@pytest.fixture(scope="module")
def numpy_basics(tmp_path_factory) -> Project:
    """The case built once (about 4 s of kernel time); verify reads it, the resume test edits it last."""
    project = Project(tmp_path_factory.mktemp("corpus-rerun"))
    prepare(CASE, project.root)
    project.build(**EVERY_BLOCK)
    return project


def code_cells(project: Project) -> list[dict]:
    notebook = json.loads((project.root / NOTEBOOK).read_text())
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]


def stored(project: Project) -> dict[str, bytes]:
    """Every file of the article's results but provenance.json (times, and what resumed)."""
    [folder] = [p.parent for p in project.results.rglob("record.json")]
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "provenance.json"}


def provenance(project: Project) -> dict:
    [path] = project.results.rglob("provenance.json")
    return json.loads(path.read_text())


def test_verify_reproduces_every_line_and_value_of_the_notebook(numpy_basics):
    [outcome] = verify(numpy_basics.engine(), None, [ARTICLE], say=lambda _: None)
    comparison = outcome.comparison
    assert comparison.passed and not comparison.moved
    within, identical, total = comparison.count("line")
    # Every printed line and displayed value the notebook stored, each found again, the same.
    assert total > 40 and within == identical == total
    assert outcome.verification.passed and not outcome.verification.drifted
    assert outcome.verification.counts == {"line": [total, total, total]}  # what `invoke status` reports


def test_an_edited_cell_resumes_from_a_snapshot_and_stores_what_a_full_run_stores(numpy_basics):
    cells = code_cells(numpy_basics)
    index = next(i for i, cell in enumerate(cells) if "".join(cell["source"]) == EDITED_CELL)
    assert index > 5  # a cell far enough down that resuming skips real work
    notebook = json.loads((numpy_basics.root / NOTEBOOK).read_text())
    edited = [c for c in notebook["cells"] if c["cell_type"] == "code"][index]
    edited["source"] = "x2[0, 0] = 13\nx2"
    (numpy_basics.root / NOTEBOOK).write_text(json.dumps(notebook, indent=1))
    numpy_basics.build(**EVERY_BLOCK)
    assert provenance(numpy_basics).get("resumed_from_snapshot") == list(range(1, index + 1))
    resumed = stored(numpy_basics)
    assert "array([[13, " in resumed["notebook.ipynb"].decode()  # the edited cell ran (it showed 12)
    numpy_basics.build(EXECBLOCKS_ONLY=[ARTICLE])  # forced: from the top, no snapshot
    assert provenance(numpy_basics).get("resumed_from_snapshot", []) == []
    assert stored(numpy_basics) == resumed


LINE_PLOTS = "pdsh-line-plots"
LINE_PLOTS_NOTEBOOK = f"content/{LINE_PLOTS}/04.01-Simple-Line-Plots.ipynb"


def test_an_edited_figure_cell_resumes_under_the_default_rule_and_stores_what_a_full_run_stores(tmp_path):
    # Where the default rule keeps states depends on timing (each figure cell runs ~0.13 s, a
    # snapshot of its closed figure ~6 ms of CPU), but the first cell always gets one, and
    # whichever state a resume starts from, what it stores must be a full run's bytes.
    project = Project(tmp_path)
    prepare(LINE_PLOTS, project.root)
    project.build()
    notebook = json.loads((project.root / LINE_PLOTS_NOTEBOOK).read_text())
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    source = "".join(code[12]["source"])  # the 13th: plt.title("A Sine Curve") and axis labels
    assert 'plt.title("A Sine Curve")' in source
    code[12]["source"] = source.replace('"A Sine Curve"', '"A Sine Curve, edited"')
    (project.root / LINE_PLOTS_NOTEBOOK).write_text(json.dumps(notebook, indent=1))
    project.build()
    resumed_blocks = provenance(project).get("resumed_from_snapshot", [])
    assert resumed_blocks and resumed_blocks == list(range(1, len(resumed_blocks) + 1)) and len(resumed_blocks) <= 12
    resumed = stored(project)
    assert b"A Sine Curve, edited" in resumed["notebook.ipynb"]
    [article] = [str(p.parent.relative_to(project.results)) for p in project.results.rglob("record.json")]
    project.build(EXECBLOCKS_ONLY=[article])  # forced: from the top, no snapshot
    assert provenance(project).get("resumed_from_snapshot", []) == []
    assert stored(project) == resumed
