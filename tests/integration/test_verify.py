"""`invoke verify`: rerun an article away from the project and compare with its results.

A toy article draws its numbers, its figure and its verdict word from a generator seeded
by $TOY_SEED (0 when the results were stored). Rerunning with the same seed reproduces
everything; seed 2 moves the numbers and the figure and flips the verdict ("above" with
seed 0, "below" with seed 2: checked by hand with numpy 2.4's default_rng).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

from execblocks import status
from execblocks.store.results_folder import VERIFICATIONS, ResultsStore
from execblocks.verify import summary
from execblocks.errors import RerunError, VerifyFailed
from execblocks.verify.run import status_lines, verify
from support import HELPER, REPO, Project, engine_hidden_from_new_processes, with_tasks

pytestmark = pytest.mark.slow

TOY = """\
Title: Toy
Date: 2026-01-01
Slug: toy

```{python}
import os

import matplotlib.pyplot as plt
import numpy as np

rng = np.random.default_rng(int(os.environ.get("TOY_SEED", "0")))
a, b = rng.normal(0.6, 0.05, 3), rng.normal(0.6, 0.05, 3)  # three "seeds" of two methods
print(f"a per seed: {', '.join(f'{x:.3f}' for x in a)}")
print("done")
```

```{python}
plt.plot(np.cumsum(rng.normal(size=50)))
plt.title("A random walk");
```

A reaches `{python} f"{a.mean():.1%}"`, `{python} "above" if a.mean() > b.mean() else "below"` B.
"""


@pytest.fixture(scope="module")
def toy_built_once(tmp_path_factory) -> Project:
    project = Project(tmp_path_factory.mktemp("toy") / "project")
    project.write("content/toy.md", TOY)
    project.write("code/helper.py", HELPER)  # as in the `project` fixture
    project.build()
    return project


@pytest.fixture
def toy(toy_built_once, tmp_path) -> Project:
    """The toy article built (a copy of one build per module: each test records, edits or
    reruns its own)."""
    return toy_built_once.copy(tmp_path / "project")


def tree_digest(folder) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != VERIFICATIONS}


def test_a_clean_rerun_passes_is_recorded_and_writes_no_results_or_output(toy, monkeypatch):
    monkeypatch.delenv("TOY_SEED", raising=False)
    results, output = tree_digest(toy.results), tree_digest(toy.output)
    said = []
    [outcome] = verify(toy.engine(), None, ["toy"], say=said.append)
    assert outcome.comparison.passed and not outcome.comparison.moved
    assert outcome.comparison.count("value") == (1, 1, 1)
    assert outcome.comparison.count("verdict") == (1, 1, 1)
    assert outcome.comparison.count("line") == (2, 2, 2)
    assert outcome.comparison.count("figure") == (1, 1, 1)
    assert "nothing moved" in said[0] and "PASSED" in said[1]
    assert tree_digest(toy.results) == results and tree_digest(toy.output) == output
    assert not outcome.report_dir.exists()  # no figure moved: no diff image
    store = ResultsStore(toy.results)
    [record] = store.verifications("toy")
    assert record.passed and record.how == "scratch copy" and record.machine.device == "cpu"
    assert record.machine.cpu and set(record.machine.versions) >= {"python", "numpy", "matplotlib"}
    assert record.counts["figure"] == [1, 1, 1]
    assert summary.footer_line(summary.of_results([record], store.record_digest("toy"))) == \
        "Reproduced on 1 machine: 4/4 values within 1 %, 1/1 figures"
    # The page's "Run it yourself" footer says so, from the record.
    toy.build(THEME=str(REPO / "theme"))
    assert '<p class="run-reproduced">Reproduced on 1 machine: 4/4 values within 1 %, 1/1 figures.</p>' in toy.html("toy")
    [line] = status_lines(toy.engine(), status(toy.engine()))
    assert line.startswith("content/toy.md: verified: passed ") and "(scratch copy, cpu): 4/4 values, 1/1 figures" in line
    # Nothing changed since: `--changed` has nothing to do; once the article's code changed
    # (and its results were rebuilt), it is verified again.
    assert verify(toy.engine(), None, [], changed=True, say=said.append) == []
    toy.edit("content/toy.md", 'print("done")', 'print("done")  # edited')
    toy.build()
    [again] = verify(toy.engine(), None, [], changed=True, say=said.append)
    assert again.article.slug == "toy" and again.comparison.passed
    assert verify(toy.engine(), None, [], changed=True, say=said.append) == []


def test_a_rerun_that_did_not_use_the_device_asked_for_fails(toy):
    with pytest.raises(RerunError, match="content/toy.md: the rerun \\(scratch copy\\) failed: it ran on cpu, not on cuda"):
        verify(toy.engine(), None, ["toy"], device="cuda", say=lambda _: None)
    assert ResultsStore(toy.results).verifications("toy") == []


def test_drifted_numbers_fail_by_name_the_verdict_flips_and_the_figure_gets_a_diff_image(toy, monkeypatch):
    monkeypatch.setenv("TOY_SEED", "2")
    said = []
    with pytest.raises(VerifyFailed, match="content/toy.md") as failed:
        verify(toy.engine(), None, ["toy"], say=said.append)
    table = said[0]
    record = ResultsStore(toy.results).verifications("toy")[-1]
    assert not record.passed
    assert "inline 1 (line 22) `f\"{a.mean():.1%}\"`" in record.drifted
    assert "inline 2 (line 22) `\"above\" if a.mean() > b.mean() else \"below\"`" in record.drifted
    assert "block 1 line 1" in record.drifted and "block 2 figure 1" in record.drifted
    assert "block 1 line 2" not in record.drifted  # "done" did not move
    flip = next(line for line in table.splitlines() if "inline 2" in line)
    assert flip.split()[0] == "FLIP" and "above" in flip and "below" in flip and flip.endswith("flipped")
    drift = next(line for line in table.splitlines() if "inline 1" in line)
    assert drift.split()[0] == "DRIFT" and "61.1%" in drift
    folder = toy.root / "cache" / "verify" / "toy" / "scratch"
    assert sorted(p.name for p in folder.iterdir()) == [
        "block-2-figure-1.diff.png", "block-2-figure-1.rerun.png", "block-2-figure-1.stored.png"]
    assert "FAILED" in said[1] and str(failed.value).startswith("verify: beyond tolerance")


def test_loose_tolerances_pass_the_numbers_but_never_a_flipped_verdict(toy, monkeypatch):
    monkeypatch.setenv("TOY_SEED", "2")
    setting = {"rel": 0.5, "figure": 1.0}
    with pytest.raises(VerifyFailed):
        verify(toy.engine(), setting, ["toy"], say=lambda _: None)
    record = ResultsStore(toy.results).verifications("toy")[-1]
    assert [label.split(" (")[0] for label in record.drifted] == ["inline 2"]
    assert record.counts["value"] == [1, 0, 1] and record.counts["figure"] == [1, 0, 1]


def test_the_command_exits_non_zero_and_prints_the_drift_table(toy, monkeypatch):
    with_tasks(toy)
    done = subprocess.run([sys.executable, "-m", "invoke", "verify", "toy", "--no-record"], cwd=toy.root,
                          capture_output=True, text=True, env={**os.environ, "TOY_SEED": "2"})
    assert done.returncode == 1, done.stderr
    assert "FLIP" in done.stdout and "block 2 figure 1" in done.stdout
    assert "verify: beyond tolerance: content/toy.md" in done.stderr
    assert not (toy.results / "toy" / VERIFICATIONS).exists()  # --no-record
    status = subprocess.run([sys.executable, "-m", "invoke", "status"], cwd=toy.root, capture_output=True, text=True)
    assert "content/toy.md: verified: never verified" in status.stdout


def test_the_readers_bundle_in_a_fresh_venv_reproduces_the_article(toy, monkeypatch):
    monkeypatch.delenv("TOY_SEED", raising=False)
    said = []
    [outcome] = verify(toy.engine(), None, ["toy"], bundle=True, venv="fresh", say=said.append)
    assert any("pip install -r requirements.txt into a fresh venv" in line for line in said)
    assert outcome.comparison.passed, said
    # Plain Jupyter draws the figure at its own size and dpi: scaled, compared, within tolerance.
    assert outcome.comparison.count("figure") == (1, 0, 1)
    assert outcome.comparison.count("value") == (1, 1, 1) and outcome.comparison.count("verdict") == (1, 1, 1)
    assert outcome.comparison.count("line") == (2, 2, 2)
    record = ResultsStore(toy.results).verifications("toy")[-1]
    assert record.how == "bundle, fresh venv"
    assert json.loads(json.dumps(record.to_json()))["machine"]["versions"]["numpy"]


def test_a_rerun_on_a_dask_worker_is_compared_and_recorded_as_such(toy, monkeypatch):
    from distributed import Client, LocalCluster

    monkeypatch.delenv("TOY_SEED", raising=False)
    with engine_hidden_from_new_processes():  # the worker gets the engine shipped, as on another machine
        with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            client.wait_for_workers(1, timeout=300)
            [outcome] = verify(toy.engine(), None, ["toy"], executor=cluster.scheduler_address, say=lambda _: None)
    assert outcome.comparison.passed and not outcome.comparison.moved
    record = ResultsStore(toy.results).verifications("toy")[-1]
    assert record.how == f"dask {cluster.scheduler_address}"
    assert record.machine.cpu == "unknown (cluster worker)" and "tcp://" in record.machine.host


def test_the_bundle_in_a_venv_that_sees_this_ones_packages_passes_and_a_bad_venv_is_refused(toy, monkeypatch):
    monkeypatch.delenv("TOY_SEED", raising=False)
    [outcome] = verify(toy.engine(), None, ["toy"], bundle=True, venv="system", say=lambda _: None)
    assert outcome.comparison.passed and outcome.verification.how == "bundle, venv with site packages"
    with pytest.raises(Exception, match="--venv must be one of fresh, system, reuse, got 'shared'"):
        verify(toy.engine(), None, ["toy"], bundle=True, venv="shared", say=lambda _: None)
