"""execute/dask/wire.py and site/bundle.py's pure parts: a remote run's answer as data, the zip's bytes."""

import io
import zipfile
from pathlib import Path

import nbformat

from execblocks.site.bundle import deterministic_zip, requirements_txt
from execblocks.errors import BlockExecutionError
from execblocks.execute.kernel_run import ExecutionResult
from execblocks.source.parse import parse_text
from execblocks.store.records import Environment
from execblocks.execute.dask.wire import error_from_data, error_to_data, result_from_data, result_to_data

ROOT = Path("/project")


def test_a_remote_result_maps_its_files_back_to_project_paths(tmp_path):
    article = parse_text("```{python}\nx = 1\n```\n", ROOT / "content/a.md", ROOT, ROOT / "content")
    copy = tmp_path / "copy"
    (copy / "code").mkdir(parents=True)
    error = BlockExecutionError("content/a.md", 2, 1, "ValueError", "bad", "Traceback ...", source="x = 1")
    result = ExecutionResult(article, nbformat.v4.new_notebook(), ["42"],
                             [copy / "code/helper.py", Path("/usr/lib/python3/os.py")], "cpu",
                             {"python": "3.11.7"}, [0.5], 1.5, "2026-01-01T00:00:00+00:00", error,
                             packages={"numpy": "2.4.6"})
    data = result_to_data(result, copy, "box (tcp://10.0.0.5:4000)")
    assert data["reads"] == ["code/helper.py"]  # the environment's files are not dependencies
    back = result_from_data(data, article, ROOT)
    assert back.reads == [ROOT / "code/helper.py"]
    assert back.host == "box (tcp://10.0.0.5:4000)" and back.packages == {"numpy": "2.4.6"}
    assert isinstance(back.error, BlockExecutionError) and str(back.error) == str(error)
    assert error_from_data(error_to_data(error)).source == "x = 1"


def test_zip_bytes_depend_only_on_the_files():
    files = {"b/x.py": b"print(1)\n", "a/README.md": b"hi\n"}
    first = deterministic_zip(files)
    assert deterministic_zip(dict(reversed(list(files.items())))) == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert archive.namelist() == ["a/README.md", "b/x.py"]
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_requirements_pin_what_the_run_imported():
    text = requirements_txt(Environment("cpu", {"python": "3.11.7", "torch": "2.13.0+cpu"}, {},
                                        {"torch": "2.13.0+cpu", "numpy": "2.4.6", "ipykernel": "7.4.0"}))
    lines = text.splitlines()
    assert lines[0] == "# The versions this article's run used (Python 3.11.7)."
    assert {"torch==2.13.0", "numpy==2.4.6", "ipykernel==7.4.0"} <= set(lines)  # no local "+cpu" tag
    assert any(line.startswith("nbclient==") for line in lines)  # what runs the notebook
    # Results stored before packages were recorded: the tracked versions, by distribution name.
    old = requirements_txt(Environment("cpu", {"python": "3.11.7", "sklearn": "1.9.1"}, {}))
    assert "scikit-learn==1.9.1" in old.splitlines()
