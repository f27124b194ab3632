"""blocknames.py: which names a block reads, binds and may mutate, and which later blocks a rerun reaches."""

from execblocks.execute.blocknames import block_names, last_block_to_run, imported_packages


def test_assignment_imports_defs_bind_and_reads_are_loads():
    names = block_names("import numpy as np\nfrom os import path\nx = np.zeros(3)\n"
                        "def f(a):\n    return a + y\nclass C:\n    z = 1\n")
    assert names.binds == {"np", "path", "x", "f", "C"}
    assert "y" in names.reads  # the function reads the global y when called
    assert "a" not in names.reads and "z" not in names.reads  # a parameter, a class attribute
    assert not names.opaque


def test_in_place_changes_are_mutations_of_the_base_name():
    names = block_names("data.append(1)\ntable['k'] = 2\nmodel.layer.weight[0] = 0\ndel cache['old']\n"
                        "train(net, opt)\nrng.random()\nhist += [3]\n")
    assert {"data", "table", "model", "cache", "net", "opt", "train", "rng", "hist"} <= names.mutates
    assert names.binds == {"hist"}  # only `+=` rebinds; the rest change objects in place


def test_locals_of_functions_and_comprehensions_are_not_globals():
    names = block_names("def g(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total\n"
                        "squares = [k * k for k in values]\n")
    assert "total" not in names.reads | names.binds and "i" not in names.binds and "k" not in names.reads
    assert {"values", "range"} <= names.reads
    assert names.binds == {"g", "squares"}


def test_global_statement_binds_the_global():
    names = block_names("def bump():\n    global counter\n    counter = counter + 1\n")
    assert "counter" in names.binds and "counter" in names.reads


def test_walrus_in_a_comprehension_binds_at_top_level():
    assert "last" in block_names("[last := v for v in range(3)]").binds


def test_what_defeats_the_analysis_is_opaque():
    assert block_names("%timeit 1 + 1").opaque  # an IPython magic is not Python
    assert block_names("from math import *").opaque
    assert block_names("exec('x = 1')").opaque
    assert block_names("globals()['x'] = 1").opaque


def test_a_later_block_that_reads_what_the_rerun_block_writes_must_run():
    blocks = [block_names(c) for c in ("a = 1", "b = a + 1", "c = 5", "print(b)")]
    assert last_block_to_run(blocks, 1) == 3  # block 3 reads b, which block 1 binds


def test_unaffected_tail_is_skipped():
    blocks = [block_names(c) for c in ("a = 1", "b = a + 1", "c = 5", "print(c)")]
    assert last_block_to_run(blocks, 1) == 1


def test_once_a_block_must_run_everything_before_it_runs_and_counts_as_written():
    # Block 3 reads b (bound by block 1), so block 2 runs too; then block 4, reading c, must run.
    blocks = [block_names(c) for c in ("a = 1", "b = a", "c = 5", "d = b", "print(c)")]
    assert last_block_to_run(blocks, 1) == 4


def test_mutation_reaches_readers_of_the_mutated_name():
    blocks = [block_names(c) for c in ("xs = []", "xs.append(1)", "print(len(xs))")]
    assert last_block_to_run(blocks, 1) == 2


def test_calls_mark_the_callee_so_a_generator_shared_by_name_reruns():
    blocks = [block_names(c) for c in ("import numpy as np", "np.random.seed(1)", "print(np.random.rand())")]
    assert last_block_to_run(blocks, 1) == 2


def test_opaque_blocks_and_changed_files_force_a_run():
    blocks = [block_names(c) for c in ("a = 1", "b = 2", "%ls", "print(a)")]
    assert last_block_to_run(blocks, 1) == 3  # block 2 is opaque, so everything to its end runs
    blocks = [block_names(c) for c in ("a = 1", "b = 2", "print(a)")]
    assert last_block_to_run(blocks, 1, unreliable={2}) == 2


def test_a_skipped_block_must_not_write_what_the_inline_values_read():
    blocks = [block_names(c) for c in ("a = 1", "b = 2", "c = 3")]
    assert last_block_to_run(blocks, 1) == 1
    assert last_block_to_run(blocks, 1, final_reads=block_names("c").reads) == 2


def test_calling_a_builtin_does_not_mark_it_changed():
    names = block_names("print(len(xs))")
    assert names.mutates == {"xs"} and {"print", "len"} <= names.reads
    blocks = [block_names(c) for c in ("xs = [1]", "print(1)", "print(2)")]
    assert last_block_to_run(blocks, 1) == 1


def test_imported_packages_are_the_top_level_modules_imported_by_name():
    code = "import numpy as np, os.path\nfrom cloudpickle import dumps\nfrom . import mine\ndef f():\n    import torch.nn\n"
    assert imported_packages(code) == {"numpy", "os", "cloudpickle", "torch"}
    # A block that is not Python (a magic) is read line by line.
    assert imported_packages("%time x = 1\nimport cloudpickle\nfrom scipy import stats") == {"cloudpickle", "scipy"}
