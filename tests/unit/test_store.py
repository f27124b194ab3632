"""store: atomic entries, checksums, failures beside good results, pruning, the lock."""

import base64
import threading

import nbformat
import pytest

from execblocks.errors import CorruptEntryError, StoreLockedError
from execblocks.store.records import Failure
from execblocks.store.results_folder import ResultsStore
from support import provenance, stored_record

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
    entry = store.write("post", stored_record("k"), notebook(), provenance(1.0))
    (name,) = [n for n in entry.record.files if n.endswith(".png")]
    assert (tmp_path / "post" / name).read_bytes().startswith(b"\x89PNG")
    output = entry.notebook().cells[0].outputs[0]
    assert output["data"]["image/png"] == name
    assert output["metadata"]["execblocks"]["files"] == {"image/png": name}
    assert store.read("post").record.key == "k"
    assert not list(tmp_path.rglob("*.tmp"))


def test_records_round_trip_through_their_one_reader(tmp_path):
    store = ResultsStore(tmp_path)
    written = store.write("post", stored_record("k"), notebook(), provenance(2.5))
    read = store.read("post")
    assert read.record == written.record and read.record.environment.versions == {"python": "3.11.7"}
    assert read.provenance == provenance(2.5)
    failure = Failure("bad", "content/post.md", 3, 1, "ValueError: x", {"code/m.py": "ab"}, "2026-11-25")
    store.write_failure("post", failure)
    assert store.read("post").failure == failure


def test_stored_notebook_reads_back_as_nbformat_would(tmp_path):
    nb = notebook()
    nb.cells[0].source = "plot()\nshow()\n"
    nb.cells[0].outputs.append(nbformat.v4.new_output("stream", name="stdout", text="line 1\nline 2\n"))
    store = ResultsStore(tmp_path)
    store.write("post", stored_record("k"), nb, provenance())
    ours = store.read("post").notebook()
    theirs = nbformat.read(tmp_path / "post" / "notebook.ipynb", as_version=4)
    assert ours == theirs and ours.cells[0].outputs[1].text == "line 1\nline 2\n"


def test_record_missing_a_field_is_corrupt_not_a_keyerror(tmp_path):
    import json

    from execblocks.store.results_folder import _record_checksum

    store = ResultsStore(tmp_path)
    store.write("post", stored_record("k"), notebook(), provenance())
    path = tmp_path / "post" / "record.json"
    data = json.loads(path.read_text())
    del data["kernel"]
    data["checksum"] = _record_checksum(data)
    path.write_text(json.dumps(data))
    with pytest.raises(CorruptEntryError, match="lacks a field"):
        store.read("post")


def test_same_results_write_the_same_bytes(tmp_path):
    store = ResultsStore(tmp_path)
    store.write("post", stored_record("k"), notebook(), provenance(1.0))
    first = {p.name: p.read_bytes() for p in (tmp_path / "post").iterdir()}
    store.write("post", stored_record("k"), notebook(), provenance(2.0))
    second = {p.name: p.read_bytes() for p in (tmp_path / "post").iterdir()}
    assert {n for n in first if first[n] != second[n]} == {"provenance.json"}


def test_a_rerun_with_the_same_outputs_keeps_the_shown_run(tmp_path):
    """Pages show Provenance.shown: the run that produced the stored outputs."""
    store = ResultsStore(tmp_path)
    store.write("post", stored_record("k"), notebook(), provenance(1.0))
    again = provenance(2.5, at="2026-11-26T10:00:00+00:00")
    entry = store.write("post", stored_record("k"), notebook(), again)
    assert entry.provenance.duration_s == 2.5  # the last run, for `invoke status`
    assert entry.provenance.shown == provenance(1.0)  # what pages show: unchanged
    third = store.write("post", stored_record("k"), notebook(), provenance(4.0, at="2026-11-27T10:00:00+00:00"))
    assert third.provenance.shown == provenance(1.0)  # still the first, one level deep
    changed = store.write("post", stored_record("k2"), notebook(), provenance(3.0))
    assert changed.provenance.shown == provenance(3.0) and changed.provenance.shown_run is None


@pytest.mark.parametrize("victim", ["record.json", "notebook.ipynb", "png"])
def test_any_damaged_file_is_reported_corrupt(tmp_path, victim):
    store = ResultsStore(tmp_path)
    entry = store.write("post", stored_record("k"), notebook(), provenance())
    path = next(entry.directory.glob("*.png")) if victim == "png" else entry.directory / victim
    path.write_bytes(path.read_bytes()[:-5])
    later(path)  # an edit after the entry was stored (not within the clock tick of its record.json)
    with pytest.raises(CorruptEntryError):
        store.read("post")


def later(path, seconds: int = 2) -> None:
    import os

    stamp = path.stat().st_mtime_ns + seconds * 10**9
    os.utime(path, ns=(stamp, stamp))


def test_failure_is_kept_beside_good_results(tmp_path):
    store = ResultsStore(tmp_path)
    store.write("post", stored_record("good"), notebook(), provenance())
    store.write_failure("post", Failure("bad", "content/post.md", 3, 1, "ValueError: x", {}, "2026-11-25"))
    entry = store.read("post")
    assert entry.record.key == "good" and entry.failure.key == "bad"
    store.write("post", stored_record("fixed"), notebook(), provenance())
    assert store.read("post").failure is None


def test_prune_removes_entries_no_article_uses(tmp_path):
    store = ResultsStore(tmp_path)
    store.write("keep", stored_record("k"), notebook(), provenance())
    store.write("pages/gone", stored_record("k"), notebook(), provenance())
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

    from execblocks.store.results_folder import atomic_write

    old = os.umask(umask)
    try:
        atomic_write(tmp_path / "a.zip", b"data")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.zip").stat().st_mode) == expected


def test_a_build_hashes_only_files_changed_after_their_record(tmp_path, monkeypatch):
    """A no-op build stats the stored files; it hashes one only when it is newer than record.json
    (edited or truncated by hand). `invoke check` (verify_files) hashes them all."""
    import os

    from execblocks.store import results_folder

    entry = ResultsStore(tmp_path).write("post", stored_record("k"), notebook(), provenance())
    hashed = []
    original = results_folder.sha256_file
    monkeypatch.setattr(results_folder, "sha256_file", lambda path: hashed.append(path.name) or original(path))
    ResultsStore(tmp_path).read("post")
    assert hashed == []
    ResultsStore(tmp_path, verify_files=True).read("post")
    assert sorted(hashed) == sorted(entry.record.files)
    # Damaged, but with the old mtime put back: only the full check sees it.
    png = next(entry.directory.glob("*.png"))
    stamp = png.stat().st_mtime_ns
    png.write_bytes(png.read_bytes()[:-5])
    os.utime(png, ns=(stamp, stamp))
    ResultsStore(tmp_path).read("post")
    with pytest.raises(CorruptEntryError, match="fails its checksum"):
        ResultsStore(tmp_path, verify_files=True).read("post")
