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


def test_a_rerun_with_the_same_outputs_keeps_the_shown_run(tmp_path):
    """Pages show provenance["shown"]: the run that produced the stored outputs."""
    store = ResultsStore(tmp_path)
    first = {"duration_s": 1.0, "block_seconds": [1.0], "executed_at": "2026-11-25T10:00:00+00:00"}
    store.write("post", {"key": "k"}, notebook(), first)
    again = {"duration_s": 2.5, "block_seconds": [2.5], "executed_at": "2026-11-26T10:00:00+00:00"}
    entry = store.write("post", {"key": "k"}, notebook(), again)
    assert entry.provenance["duration_s"] == 2.5  # the last run, for `invoke status`
    assert entry.provenance["shown"] == first  # what pages show: unchanged
    changed = {"duration_s": 3.0, "block_seconds": [3.0], "executed_at": "2026-11-27T10:00:00+00:00"}
    entry = store.write("post", {"key": "k2"}, notebook(), changed)
    assert entry.provenance["shown"] == changed  # new outputs: their own run is shown


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
