"""kernel_snapshot.py: a kernel's state saved and put back, in an in-process IPython shell."""

import sys

import pytest
from IPython.core.interactiveshell import InteractiveShell

from execkernel import snapshot as kernel_snapshot


@pytest.fixture
def shell(monkeypatch):
    # IPython makes its user module sys.modules["__main__"], a module without __spec__; left
    # there, every later multiprocessing spawn in this pytest process fails (Dask's nannies
    # in tests/integration/test_dask.py when the unit tests run first). Put back afterwards.
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    shell = InteractiveShell.instance()
    shell.reset(new_session=False)
    yield shell
    shell.reset(new_session=False)


def run(shell, code):
    result = shell.run_cell(code, store_history=True)
    result.raise_error()
    return result.result


def restart(shell, data, scratch=None):
    """What a fresh kernel given the snapshot holds: the namespace emptied, then restored."""
    shell.reset(new_session=False)
    kernel_snapshot.restore(data, scratch)


def test_names_shared_objects_and_functions_come_back(shell):
    run(shell, "xs = [1, 2]\nholder = {'xs': xs}\nscale = 2\n"
               "def times(v):\n    return scale * v\n"
               "class Box:\n    def __init__(self, v):\n        self.v = v\n    def doubled(self):\n        return times(self.v)\n"
               "box = Box(5)\n")
    data = kernel_snapshot.take()
    restart(shell, data)
    assert run(shell, "holder['xs'] is xs") is True  # one object, two names: still one object
    assert run(shell, "box.doubled()") == 10
    # The function reads the live namespace: a later block's rebinding is seen, as in the kernel.
    assert run(shell, "scale = 3\ntimes(1)") == 3
    assert run(shell, "isinstance(box, Box)") is True


def test_random_states_continue_where_they_were(shell):
    run(shell, "import random, numpy as np, torch\nrandom.seed(1); np.random.seed(1); torch.manual_seed(1)\n"
               "random.random(); np.random.rand(); torch.rand(1)\n")
    data = kernel_snapshot.take()
    expected = run(shell, "(random.random(), float(np.random.rand()), float(torch.rand(1)))")
    restart(shell, data)
    assert run(shell, "(random.random(), float(np.random.rand()), float(torch.rand(1)))") == expected


def test_a_model_and_its_optimiser_train_on_identically(shell):
    run(shell, "import torch\ntorch.manual_seed(0)\nnet = torch.nn.Linear(3, 1)\n"
               "opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)\n"
               "x = torch.randn(8, 3)\n"
               "def step():\n    opt.zero_grad(); loss = net(x).pow(2).mean(); loss.backward(); opt.step()\n    return loss.item()\n"
               "step(); step()\n")
    data = kernel_snapshot.take()
    expected = run(shell, "[step() for _ in range(3)]")
    restart(shell, data)
    assert run(shell, "[step() for _ in range(3)]") == expected
    # The optimiser still holds the model's own parameters, not copies of them.
    assert run(shell, "opt.param_groups[0]['params'][0] is net.weight") is True


def test_matplotlib_settings_and_scratch_files_come_back(shell, tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "data.txt").write_text("42")
    run(shell, "import matplotlib\nmatplotlib.rcParams['lines.linewidth'] = 7.5\n")
    data = kernel_snapshot.take(str(scratch))
    run(shell, "matplotlib.rcParams['lines.linewidth'] = 1.0")
    (scratch / "data.txt").unlink()
    restart(shell, data, str(scratch))
    assert run(shell, "matplotlib.rcParams['lines.linewidth']") == 7.5
    assert (scratch / "data.txt").read_text() == "42"


@pytest.mark.parametrize("code, name, kind", [
    ("import socket\nconn = socket.socket()\n", "conn", "socket"),
    ("gen = (i for i in range(3))\nok = 1\n", "gen", "generator"),
])
def test_what_cannot_be_pickled_is_named(shell, code, name, kind):
    run(shell, code)
    with pytest.raises(kernel_snapshot.Unpicklable) as caught:
        kernel_snapshot.take()
    assert [n for n, _ in caught.value.names] == [name]
    assert kind in str(caught.value)
    if name == "conn":
        run(shell, "conn.close()")


def test_a_closed_file_left_by_with_comes_back_closed_with_its_name(shell, tmp_path):
    path = tmp_path / "numbers.txt"
    run(shell, f"with open({str(path)!r}, 'w') as f:\n    f.write('1 2')\nwith open({str(path)!r}, 'rb') as g:\n    g.read()")
    before = run(shell, "repr(f), repr(g)")
    restart(shell, kernel_snapshot.take())
    assert run(shell, "repr(f), repr(g)") == before
    assert run(shell, "f.closed and g.closed") is True
    assert path.read_text() == "1 2"  # restoring it opened nothing for writing there


def test_module_level_data_of_the_projects_modules_comes_back(shell, tmp_path, monkeypatch):
    (tmp_path / "registry_mod.py").write_text("ITEMS = []\n\n\ndef add(x):\n    ITEMS.append(x)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    run(shell, "import registry_mod\nregistry_mod.add(1)\nregistry_mod.add(2)\nkept = registry_mod.ITEMS")
    data = kernel_snapshot.take(project=(str(tmp_path),))
    import sys

    del sys.modules["registry_mod"]  # what a fresh kernel has: the module not imported
    restart(shell, data)
    assert run(shell, "registry_mod.ITEMS") == [1, 2]
    assert run(shell, "registry_mod.ITEMS is kept") is True  # one object, as before


def test_a_snapshot_is_taken_once_it_costs_at_most_a_tenth_of_rerunning_the_blocks_since_the_last():
    assert kernel_snapshot.worth_taking(0.0, None)  # the first one: nothing to resume from yet
    assert not kernel_snapshot.worth_taking(0.001, 0.05)  # a print after a 50 ms snapshot: rerun it
    assert not kernel_snapshot.worth_taking(0.03, 0.005)  # a 30 ms block, 5 ms snapshots: 17 %
    assert kernel_snapshot.worth_taking(0.14, 0.009)  # a 140 ms figure block, a 9 ms snapshot: 6 %
    assert kernel_snapshot.worth_taking(10.0, 0.2)  # an experiment of 10 s, its state saved in 0.2 s


def test_the_garbage_collector_is_left_as_the_blocks_left_it(shell):
    # Paused while the state is pickled and unpickled (snapshot._collector_paused), then put back:
    # on if it was on, off if a block turned it off.
    import gc

    run(shell, "xs = [[i] for i in range(1000)]")
    assert gc.isenabled()
    data = kernel_snapshot.take()
    assert gc.isenabled()
    restart(shell, data)
    assert gc.isenabled() and run(shell, "len(xs)") == 1000
    gc.disable()
    try:
        restart(shell, kernel_snapshot.take())
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_reading_the_random_states_imports_nothing_the_blocks_did_not():
    # numpy imports numpy.random on first use of `numpy.random`: reading its generator's state
    # through `numpy.random` imported it (6 ms and 3,000 objects after every block) into a
    # kernel whose blocks never drew from it. A fresh interpreter: this one has imported it.
    import subprocess
    from pathlib import Path

    plugins = Path(kernel_snapshot.__file__).resolve().parents[1]
    script = ("import sys\nsys.path.insert(0, sys.argv[1])\nimport numpy\nfrom execkernel import snapshot\n"
              "before = 'numpy.random' in sys.modules\nstates = snapshot.random_states()\n"
              "snapshot.globals_digest()\nprint(before, 'numpy.random' in sys.modules, 'numpy' in states)\n"
              "import numpy.random\nnumpy.random.seed(3)\n"
              "print(snapshot.random_states()['numpy'][1][0] == numpy.random.RandomState(3).get_state()[1][0])\n")
    done = subprocess.run([sys.executable, "-c", script, str(plugins)], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False", "False", "True"]


def test_each_blocks_record_names_the_module_files_it_loaded(shell, tmp_path, monkeypatch):
    # Only the names new to sys.modules are looked up after a block; a block that takes a
    # module out makes the next import of it count again, as a fresh load of its file.
    import json

    (tmp_path / "loaded_mod.py").write_text("A = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "loaded_mod", raising=False)
    staging = tmp_path / "staging"
    staging.mkdir()
    first = shell.execution_count
    kernel_snapshot.install(str(staging), {first + n: n for n in range(4)})
    try:
        run(shell, "import loaded_mod")
        run(shell, "x = loaded_mod.A")
        run(shell, "import sys\ndel sys.modules['loaded_mod']")
        run(shell, "import loaded_mod")
    finally:
        shell.events.unregister("pre_run_cell", kernel_snapshot._before_cell)
        shell.events.unregister("post_run_cell", kernel_snapshot._after_cell)
        monkeypatch.setattr(kernel_snapshot, "_run", None)
    records = [json.loads((staging / f"{n}.json").read_text()) for n in range(4)]
    path = str(tmp_path / "loaded_mod.py")
    assert [path in record["modules"] for record in records] == [True, False, False, True]
    assert ["loaded_mod" in record["imported"] for record in records] == [True, False, False, True]
