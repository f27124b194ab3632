"""Edit one block, rerun from the block before it: what a resumed build stores is what a
full run stores, byte for byte, for every single-block edit of a corpus of articles whose
blocks share state in the ways experiments do."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow

# Each article's blocks hand state to the next ones in one of the ways that break a naive
# resume: global random generators, an object changed in place, a model and its optimiser,
# files in the scratch folder, matplotlib's settings, a function reading a later global.
CORPUS = {
    "seeded": [
        "import random\nimport numpy as np\nrandom.seed(1)\nnp.random.seed(1)\na = np.random.rand(3)",
        "b = random.random()\nprint(a.round(6), round(b, 6))",
        "print(np.random.randint(100, size=4), random.randint(0, 100))",
    ],
    "mutation": [
        "xs = [1, 2]\nholder = {'xs': xs}",
        "xs.append(3)\nholder['n'] = len(xs)",
        "print(holder, xs is holder['xs'])",
    ],
    "torch": [
        "import torch\ntorch.manual_seed(0)\nnet = torch.nn.Linear(4, 1)\n"
        "opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)\nX = torch.randn(32, 4)\ny = torch.randn(32, 1)\n"
        "def step():\n    opt.zero_grad()\n    loss = (net(X) - y).pow(2).mean()\n    loss.backward()\n    opt.step()\n"
        "    return round(loss.item(), 6)",
        "print([step() for _ in range(5)])",
        "print([step() for _ in range(5)], torch.rand(2))",
    ],
    "files": [
        "import os\npath = os.path.join(os.environ['EXECBLOCKS_SCRATCH'], 'numbers.txt')\n"
        "with open(path, 'w') as f:\n    f.write('1 2 3')",
        "with open(path) as f:\n    numbers = [int(v) for v in f.read().split()]\nwith open(path, 'a') as f:\n    f.write(' 4')",
        "with open(path) as f:\n    print(numbers, f.read())",
    ],
    "plots": [
        "import matplotlib\nimport matplotlib.pyplot as plt\nmatplotlib.rcParams['lines.linewidth'] = 4\nscale = 1",
        "plt.plot([0, 1 * scale, 0])\nmatplotlib.rcParams['axes.grid'] = True",
        "def curve():\n    return [0, scale, 2 * scale]\nplt.plot(curve())",
        "scale = 3\nplt.plot(curve())\nprint(matplotlib.rcParams['lines.linewidth'])",
    ],
    "hidden_rng": [
        "import numpy as np\nfrom rng_helpers import bump, peek\nnp.random.seed(0)",
        "bump()\nx = 1",
        "print(peek())",
    ],
    "independent": [
        "a = 1",
        "b = 2",
        "print(a)",
    ],
    # A module that seeds a generator when it is imported, imported lazily by a function: a
    # full run imports it once (block 1); a resumed kernel must not import it afresh later.
    "import_effect": [
        "import random\ndef sample():\n    import seeds_on_import\n    return seeds_on_import.draw()\nprint(sample())",
        "print(round(random.random(), 6))",
        "print(sample(), round(random.random(), 6))",
    ],
    "module": [
        "from shared_steps import grow\nvalue = 2",
        "value = grow(value)\nprint(value)",
        "print(value * 10)",
    ],
}
SHARED_STEPS = "def grow(x):\n    return x * 3\n"
# Draws from NumPy's global generator where no block's code can see it.
RNG_HELPERS = ("import numpy as np\n\n\ndef bump():\n    np.random.rand()\n\n\n"
               "def peek():\n    return round(float(np.random.rand()), 6)\n")

# Research code's habit: seed the generators when the module is imported.
SEEDS_ON_IMPORT = ("import random\n\nrandom.seed(42)\n\n\n"
                   "def draw():\n    return round(random.random(), 6)\n")

# A snapshot after every block, however cheap: every resume point of the corpus is tested.
# (By default a block that ran for less time than a snapshot costs gets none: see the last tests.)
EVERY_BLOCK = {"EXECBLOCKS_SNAPSHOT_EVERY_BLOCK": True}


def article(name: str, blocks: list[str]) -> str:
    body = "\n\nSome prose.\n\n".join(f"```{{python}}\n{code}\n```" for code in blocks)
    return f"Title: {name}\nDate: 2026-01-01\nSlug: {name}\n\n{body}\n\nThe end: `{{python}} 1 + 1`.\n"


def stored(project, name: str) -> dict[str, bytes]:
    """Every file of the article's results, but provenance.json (times, and what resumed)."""
    folder = project.results / name
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "provenance.json"}


def resumed_blocks(project, name: str) -> list[int]:
    return json.loads((project.results / name / "provenance.json").read_text()).get("resumed_from_snapshot", [])


def skipped_blocks(project, name: str) -> list[int]:
    return json.loads((project.results / name / "provenance.json").read_text()).get("skipped_unaffected", [])


@pytest.fixture
def corpus(project):
    (project.content / "hello.md").unlink()
    project.write("code/shared_steps.py", SHARED_STEPS)
    project.write("code/rng_helpers.py", RNG_HELPERS)
    project.write("code/seeds_on_import.py", SEEDS_ON_IMPORT)
    for name, blocks in CORPUS.items():
        project.write(f"content/{name}.md", article(name, blocks))
    project.build(**EVERY_BLOCK)
    return project


def test_every_single_block_edit_resumes_and_stores_what_a_full_run_stores(corpus):
    for name, original in CORPUS.items():
        blocks = list(original)
        for index in range(1, len(blocks)):  # an edit to block 1 is a run from the top anyway
            corpus.edit(f"content/{name}.md", blocks[index], blocks[index] + f"\nprint('edit {index}')")
            blocks[index] += f"\nprint('edit {index}')"
            corpus.build(**EVERY_BLOCK)
            assert resumed_blocks(corpus, name) == list(range(1, index + 1)), (name, index)
            resumed = stored(corpus, name)
            corpus.build(EXECBLOCKS_ONLY=[name], **EVERY_BLOCK)  # forced: from the top, no snapshot
            assert resumed_blocks(corpus, name) == []
            assert stored(corpus, name) == resumed, f"{name}: edit to block {index + 1} resumed differs"


def test_a_block_no_rerun_block_can_affect_keeps_its_outputs(corpus):
    corpus.edit("content/independent.md", "b = 2", "b = 3")
    corpus.build(**EVERY_BLOCK)
    assert resumed_blocks(corpus, "independent") == [1] and skipped_blocks(corpus, "independent") == [3]
    resumed = stored(corpus, "independent")
    corpus.build(EXECBLOCKS_ONLY=["independent"], **EVERY_BLOCK)
    assert stored(corpus, "independent") == resumed


def test_a_skipped_block_whose_generator_moved_is_run_after_all(corpus, capfd):
    # Block 3 reads no name block 2 writes, but both draw from NumPy's global generator
    # inside functions of code/: one more draw in block 2 changes what block 3 prints.
    corpus.edit("content/hidden_rng.md", "bump()\nx = 1", "bump()\nbump()\nx = 1")
    corpus.build(**EVERY_BLOCK)
    assert resumed_blocks(corpus, "hidden_rng") == [1] and skipped_blocks(corpus, "hidden_rng") == []
    resumed = stored(corpus, "hidden_rng")
    corpus.build(EXECBLOCKS_ONLY=["hidden_rng"], **EVERY_BLOCK)
    assert stored(corpus, "hidden_rng") == resumed


def test_a_module_edit_resumes_from_the_first_block_that_imported_it(corpus, capfd):
    capfd.readouterr()
    corpus.edit("code/shared_steps.py", "x * 3", "x * 5")
    corpus.build(**EVERY_BLOCK)
    assert "content/module.md: resumed at block 1" not in capfd.readouterr().err
    # The import is in block 1: nothing before it to resume from, so a full run.
    assert resumed_blocks(corpus, "module") == []
    text = (corpus.content / "module.md").read_text()
    corpus.write("content/module.md", text.replace("from shared_steps import grow\nvalue = 2",
                                                   "value = 2\n```\n\n```{python}\nfrom shared_steps import grow"))
    corpus.build(**EVERY_BLOCK)
    corpus.edit("code/shared_steps.py", "x * 5", "x * 7")
    corpus.build(**EVERY_BLOCK)
    assert resumed_blocks(corpus, "module") == [1]
    resumed = stored(corpus, "module")
    corpus.build(EXECBLOCKS_ONLY=["module"], **EVERY_BLOCK)
    assert stored(corpus, "module") == resumed
    assert "140" in json.dumps(json.loads(resumed["notebook.ipynb"]))  # 2 * 7 * 10: the new code ran


def test_a_data_file_edit_resumes_from_the_first_block_that_read_it(project):
    # The blocks' reads are told per block by the kernel's one audit hook (execkernel/hooks.py
    # passes each opened file on to the snapshots' record): block 3 is the first reader.
    project.write("data/numbers.csv", "1\n2\n3\n")
    project.write("content/hello.md", article("hello", [
        "a = 1", "b = 2", "with open('../data/numbers.csv') as handle:\n    total = sum(int(v) for v in handle)",
        "print(a, b, total)"]))
    project.build(**EVERY_BLOCK)
    project.write("data/numbers.csv", "1\n2\n3\n4\n")
    project.build(**EVERY_BLOCK)
    assert resumed_blocks(project, "hello") == [1, 2]
    resumed = stored(project, "hello")
    assert "1 2 10" in resumed["notebook.ipynb"].decode()
    project.build(EXECBLOCKS_ONLY=["hello"], **EVERY_BLOCK)  # forced: from the top
    assert stored(project, "hello") == resumed


def test_unpicklable_state_falls_back_to_a_full_run_naming_the_variable(project, capfd):
    project.write("content/hello.md", article("hello", [
        "import socket\nconnection = socket.socket()\nx = 1", "y = x + 1", "print(y)"]))
    project.build(**EVERY_BLOCK)
    assert "no snapshot after block 1: connection (TypeError: cannot pickle 'socket' object)" in capfd.readouterr().err
    project.edit("content/hello.md", "print(y)", "print(y * 2)")
    project.build(**EVERY_BLOCK)
    err = capfd.readouterr().err
    assert "runs from the top: the state after block 2 could not be saved: connection" in err
    assert resumed_blocks(project, "hello") == []


def packages(project, name: str) -> dict[str, str]:
    return json.loads((project.results / name / "record.json").read_text())["environment"]["packages"]


def test_the_packages_recorded_are_a_full_runs_the_snapshots_own_cloudpickle_only_when_imported(project):
    # The kernel side loads cloudpickle for its snapshots before any block runs: a run's
    # packages (the bundle's requirements.txt) list it only when the article imports it.
    # A resumed kernel imports only what the restored state refers to, yet lists what the
    # run imported (cycler here, imported and dropped), as a run from the top does.
    project.write("content/hello.md", article("hello", [
        "import cycler\ndel cycler\ndef f(v):\n    return v + 1\nx = 1", "print(f(x))"]))
    project.write("content/pickles.md", article("pickles", [
        "import cloudpickle\nx = 1", "print(len(cloudpickle.dumps(x)) > 0)"]))
    project.build()
    assert "cloudpickle" not in packages(project, "hello") and "cycler" in packages(project, "hello")
    assert "cloudpickle" in packages(project, "pickles")
    project.edit("content/hello.md", "print(f(x))", "print(f(x) * 2)")
    project.edit("content/pickles.md", "> 0)", "> 1)")
    project.build()
    assert resumed_blocks(project, "hello") == [1] and resumed_blocks(project, "pickles") == [1]
    assert "cloudpickle" not in packages(project, "hello") and "cycler" in packages(project, "hello")
    assert "cloudpickle" in packages(project, "pickles")
    resumed = {name: stored(project, name) for name in ("hello", "pickles")}
    project.build(EXECBLOCKS_ONLY=["hello", "pickles"])  # forced: from the top
    assert {name: stored(project, name) for name in ("hello", "pickles")} == resumed


# Its snapshot takes at least 0.2 s of CPU (pickling `slow` keeps the processor busy; a
# snapshot's cost is counted in CPU time, so a sleep would not count): the blocks after it,
# which run in microseconds, are cheaper to rerun than to snapshot after.
DEAR_SNAPSHOT = ("import time\n\nclass Slow:\n    def __reduce__(self):\n        start = time.process_time()\n"
                 "        while time.process_time() - start < 0.2:\n            pass\n"
                 "        return (Slow, ())\n\nslow = Slow()\nitems = [1, 2]")


def test_cheap_blocks_get_no_snapshot_and_an_edit_after_them_reruns_them_from_an_earlier_one(project):
    blocks = [DEAR_SNAPSHOT, "items.append(3)", "total = sum(items)", "print(items, total)"]
    project.write("content/hello.md", article("hello", blocks))
    project.build()  # the default: a snapshot only where it pays
    snapshots = project.root / "cache/execblocks/snapshots/hello"
    assert len(list(snapshots.glob("*.snap"))) == 1  # after block 1 only
    project.edit("content/hello.md", "print(items, total)", "print(items, total, 'edited')")
    project.build()
    # Restored after block 1, then blocks 2 and 3 ran again before the edited block 4.
    assert resumed_blocks(project, "hello") == [1]
    resumed = stored(project, "hello")
    assert "[1, 2, 3] 6 edited" in resumed["notebook.ipynb"].decode()
    project.build(EXECBLOCKS_ONLY=["hello"])  # forced: from the top
    assert resumed_blocks(project, "hello") == []
    assert stored(project, "hello") == resumed


def test_a_run_resumes_before_a_block_that_shows_a_widget_and_stores_the_widgets_state(project):
    # Block 2 displays a slider bound to no name: the state after it pickles, but the slider's
    # model lived in the first run's front end (nbclient's), which a resumed run never sees.
    project.write("content/hello.md", article("hello", [
        "x = 1", "import ipywidgets\ndisplay(ipywidgets.IntSlider(value=x))", "print(x)"]))
    project.build()
    first = stored(project, "hello")
    project.edit("content/hello.md", "print(x)", "print(x * 2)")
    project.build()
    assert resumed_blocks(project, "hello") == [1]  # from the state after block 1, not after block 2
    notebook = json.loads(stored(project, "hello")["notebook.ipynb"])
    state = notebook["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    [view] = [o["data"]["application/vnd.jupyter.widget-view+json"] for c in notebook["cells"]
              for o in c["outputs"] if "data" in o and "application/vnd.jupyter.widget-view+json" in o["data"]]
    assert view["model_id"] == "widget-3"  # stable names: the slider's layout and style come first
    assert state[view["model_id"]]["model_name"] == "IntSliderModel" and state["widget-3"]["state"]["value"] == 1
    assert json.loads(first["notebook.ipynb"])["metadata"] == notebook["metadata"]  # the same bytes as the first run


def test_a_block_that_shows_a_widget_is_never_skipped_as_unaffected(project):
    project.write("content/hello.md", article("hello", [
        "a = 1", "b = 2", "import ipywidgets\ndisplay(ipywidgets.IntSlider(value=a))"]))
    project.build()
    project.edit("content/hello.md", "b = 2", "b = 3")
    project.build()
    # Block 3 reads nothing block 2 binds, but its slider's state is recorded only by running it.
    assert resumed_blocks(project, "hello") == [1] and skipped_blocks(project, "hello") == []
    notebook = json.loads(stored(project, "hello")["notebook.ipynb"])
    state = notebook["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert [m["model_name"] for m in state.values()].count("IntSliderModel") == 1


def test_a_library_the_blocks_import_by_name_is_imported_before_the_generators_are_restored(
        project, tmp_path, monkeypatch):
    """A library outside the project (on PYTHONPATH, as an installed one) that seeds Python's
    generator when imported. Block 1 takes only a number from it, so the saved state does not
    refer to it; block 3 imports it again. In a run from the top that import is a no-op; a
    resumed kernel must have imported it before restoring the generator, not at block 3."""
    library = tmp_path / "library"
    library.mkdir()
    (library / "seeding_lib.py").write_text("import random\n\nrandom.seed(7)\nVALUE = 3\n")
    monkeypatch.setenv("PYTHONPATH", str(library))
    (project.content / "hello.md").unlink()
    blocks = ["import random\nfrom seeding_lib import VALUE", "print(round(random.random(), 6))",
              "import seeding_lib\nprint(round(random.random(), 6), VALUE)"]
    project.write("content/lib.md", article("lib", blocks))
    project.build(**EVERY_BLOCK)
    project.edit("content/lib.md", blocks[2], blocks[2] + "\nprint('edited')")
    project.build(**EVERY_BLOCK)
    assert resumed_blocks(project, "lib") == [1, 2]
    resumed = stored(project, "lib")
    project.build(EXECBLOCKS_ONLY=["lib"], **EVERY_BLOCK)  # forced: from the top
    assert stored(project, "lib") == resumed
