"""project_writes.snapshot: a code file rewritten in place with its size and mtime put back
is still seen (its content is hashed), so no result is keyed on a state the run did not read."""

import os

from execblocks.execute.project_writes import compare, snapshot


def test_an_in_place_rewrite_that_keeps_size_and_mtime_is_seen_in_code(tmp_path):
    code, data = tmp_path / "code", tmp_path / "data"
    code.mkdir()
    data.mkdir()
    module, table = code / "helper.py", data / "t.csv"
    module.write_text("def double(v):\n    return 2 * v\n")
    table.write_text("a\n1\n")
    before = snapshot(tmp_path, (), (code,))
    for path, text in ((module, "def double(v):\n    return 3 * v\n"), (table, "a\n2\n")):
        stat = path.stat()
        with open(path, "r+") as handle:  # same inode, same size
            handle.write(text)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    seen = compare(before, snapshot(tmp_path, (), (code,)))
    assert seen.changed == ["code/helper.py"]  # the data file is stamped only: a documented limit
