"""store: atomic entries, checksums, failures beside good results, pruning, the lock."""

import base64
import threading

import nbformat
import pytest

from execblocks.errors import CorruptEntryError, StoreLockedError
from execblocks.store import ResultsStore

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32).decode()


def notebook():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("plot()", id="block-1")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "Fig"})]
    cell.metadata["execblocks"] = {"block": 0}
    nb.cells = [cell]
    return nb


def test_write_then_read_moves_images_to_files(tmp_path):
    store = ResultsStore(tmp_path)
    entry = store.write("post", {"key": "k"}, notebook(), {"duration_s": 1.0})
    (name,) = [n for n in entry.record["files"] if n.endswith(".png")]
    assert (tmp_path / "post" / name).read_bytes().startswith(b"\x89PNG")
    output = entry.notebook().cells[0].outputs[0]
    assert output["data"]["image/png"] == name
    assert output["metadata"]["execblocks"]["files"] == {"image/png": name}
    assert store.read("post").record["key"] == "k"
    assert not list(tmp_path.rglob("*.tmp"))


def test_same_results_write_the_same_bytes(tmp_path):
    store = ResultsStore(tmp_path)
    store.write("post", {"key": "k"}, notebook(), {"duration_s": 1.0})
    first = {p.name: p.read_bytes() for p in (tmp_path / "post").iterdir()}
    store.write("post", {"key": "k"}, notebook(), {"duration_s": 2.0})
    second = {p.name: p.read_bytes() for p in (tmp_path / "post").iterdir()}
    assert {n for n in first if first[n] != second[n]} == {"provenance.json"}


@pytest.mark.parametrize("victim", ["record.json", "notebook.ipynb", "png"])
def test_any_damaged_file_is_reported_corrupt(tmp_path, victim):
    store = ResultsStore(tmp_path)
    entry = store.write("post", {"key": "k"}, notebook(), {})
    path = next(entry.directory.glob("*.png")) if victim == "png" else entry.directory / victim
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(CorruptEntryError):
        store.read("post")


def test_failure_is_kept_beside_good_results(tmp_path):
    store = ResultsStore(tmp_path)
    store.write("post", {"key": "good"}, notebook(), {})
    store.write_failure("post", {"key": "bad", "error": "ValueError: x"})
    entry = store.read("post")
    assert entry.record["key"] == "good" and entry.failure["key"] == "bad"
    store.write("post", {"key": "fixed"}, notebook(), {})
    assert store.read("post").failure is None


def test_prune_removes_entries_no_article_uses(tmp_path):
    store = ResultsStore(tmp_path)
    store.write("keep", {"key": "k"}, notebook(), {})
    store.write("pages/gone", {"key": "k"}, notebook(), {})
    assert store.prune({"keep"}) == ["pages/gone"]
    assert store.entry_ids() == ["keep"] and not (tmp_path / "pages").exists()


def test_second_lock_holder_waits_then_fails_clearly(tmp_path):
    store = ResultsStore(tmp_path)
    said = []
    with store.lock(timeout=1):
        errors = []

        def second():
            try:
                with store.lock(timeout=0.2, say=said.append):
                    pass
            except StoreLockedError as exc:
                errors.append(exc)

        thread = threading.Thread(target=second)
        thread.start()
        thread.join()
    assert said and "another build is using" in said[0]
    assert errors and "another build holds" in str(errors[0])


@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_written_files_are_readable_as_the_umask_allows(tmp_path, umask, expected):
    """Downloads and figures are served by a web server: not mkstemp's 0600."""
    import os
    import stat

    from execblocks.store import atomic_write

    old = os.umask(umask)
    try:
        atomic_write(tmp_path / "a.zip", b"data")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.zip").stat().st_mode) == expected
