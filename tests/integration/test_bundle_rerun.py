"""Issue 19, the reader's rerun: `python rerun.py` (shipped in every bundle, as its README
says) shows the run while it runs: which cell of how many, where the article has it, what
it prints (a tqdm bar included) and how long it took, and writes the executed notebook as
`jupyter execute` does. (Before, the BatchNorm bundle's 8.7-minute `jupyter execute` printed
nothing until it ended.)

The article's last block waits for a file the test creates only after it has read the
progress lines of the blocks before it: those lines were printed while the run was still
going, whatever the machine's speed.
"""

from __future__ import annotations

import io
import os
import queue
import re
import subprocess
import sys
import threading
import zipfile

import nbformat
import pytest

from support import REPO

pytestmark = pytest.mark.slow

ARTICLE = """\
Title: Steps
Date: 2026-01-05
Slug: steps

```{python}
#| label: load
print("loading data")
```

Training, with a progress bar.

```{python}
from tqdm import tqdm
for step in tqdm(range(5), bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt}", ncols=40):
    pass
print("trained")
```

```{python}
import os, time
release = os.environ.get("RERUN_RELEASE")  # set by the test's rerun only, never by the build
while release and not os.path.exists(release):
    time.sleep(0.05)
print("evaluated")
```
"""


def reader_environment(**extra: str) -> dict[str, str]:
    """The reader's environment: nothing the engine or this repository sets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXECBLOCKS_", "PYTHON", "BLOG_", "MPL"))}
    return dict(env, **extra)


def lines_of(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line.rstrip("\n"))
    into.put(None)


def test_rerun_py_shows_each_cell_while_the_run_goes_and_writes_the_notebook(project, tmp_path):
    project.write("content/steps.md", ARTICLE)
    project.build()
    with zipfile.ZipFile(io.BytesIO((project.output / "results/steps/steps.zip").read_bytes())) as archive:
        archive.extractall(tmp_path / "reader")
    bundle = tmp_path / "reader/steps"
    assert (bundle / "rerun.py").read_bytes() == (REPO / "plugins/execblocks/site/bundle_rerun.py").read_bytes()
    assert "    python rerun.py content/steps.ipynb\n" in (bundle / "README.md").read_text()

    release = tmp_path / "release"
    process = subprocess.Popen([sys.executable, "rerun.py", "content/steps.ipynb"], cwd=bundle, text=True,
                               env=reader_environment(RERUN_RELEASE=str(release)),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lines_of, args=(process.stdout, lines), daemon=True).start()
    seen = []
    try:
        while not (seen and seen[-1].startswith("[4/4] ")):
            line = lines.get(timeout=300)  # only a hang should hit this
            assert line is not None, "\n".join(seen)
            seen.append(line)
        # The last block has started and waits: everything above was shown during the run.
        assert process.poll() is None
        before = "\n".join(seen)
        release.touch()
        while (line := lines.get(timeout=300)) is not None:
            seen.append(line)
        assert process.wait(timeout=60) == 0, "\n".join(seen)
    finally:
        if process.poll() is None:
            process.kill()

    assert seen[0] == "Running content/steps.ipynb (4 cells) in a python3 kernel; the executed notebook goes to " \
                      "content/steps-rerun.ipynb"
    expected = [
        r"\[1/4\] setup \(added to the download: sys\.path, scratch folder, figure settings\)",
        r"\[1/4\] done in \d+\.\d s",
        r"\[2/4\] load \(block 1, content/steps\.md:5\)",
        r"    │ loading data",
        r"\[2/4\] done in \d+\.\d s",
        r"\[3/4\] from tqdm import tqdm \(block 2, content/steps\.md:12\)",
        r"    │ (100%\|█+\| 5/5|trained)",  # stderr's and stdout's lines, as the kernel flushed them
        r"    │ (100%\|█+\| 5/5|trained)",
        r"\[3/4\] done in \d+\.\d s",
        r"\[4/4\] import os, time \(block 3, content/steps\.md:19\)",
    ]
    found = iter(seen[1:])
    for pattern in expected:  # in this order (a bar's earlier states may come between)
        assert any(re.fullmatch(pattern, line) for line in found), (pattern, before)
    assert "    │ trained" in seen and "    │ 100%|" + "█" * 30 + "| 5/5" in seen
    assert before.endswith("[4/4] import os, time (block 3, content/steps.md:19)")
    assert seen[-3] == "    │ evaluated" and re.fullmatch(r"\[4/4\] done in \d+\.\d s", seen[-2])
    assert re.fullmatch(r"Ran in \d+\.\d s; wrote content/steps-rerun\.ipynb", seen[-1])

    rerun = nbformat.read(bundle / "content/steps-rerun.ipynb", as_version=4)
    printed = [{name: "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == name)
                for name in {o.name for o in cell.outputs if o.output_type == "stream"}} for cell in rerun.cells]
    assert printed[1:] == [{"stdout": "loading data\n"}, {"stdout": "trained\n", "stderr": printed[2]["stderr"]},
                           {"stdout": "evaluated\n"}]
    assert printed[2]["stderr"].endswith("\r100%|" + "█" * 30 + "| 5/5\n")


def test_rerun_py_says_where_a_failing_cell_stopped_and_keeps_what_ran(project, tmp_path):
    project.write("content/steps.md", ARTICLE)
    project.build()
    with zipfile.ZipFile(io.BytesIO((project.output / "results/steps/steps.zip").read_bytes())) as archive:
        archive.extractall(tmp_path / "reader")
    bundle = tmp_path / "reader/steps"
    notebook = nbformat.read(bundle / "content/steps.ipynb", as_version=4)
    notebook.cells[2].source = "raise ValueError('the reader broke it')"
    nbformat.write(notebook, bundle / "content/steps.ipynb")
    done = subprocess.run([sys.executable, "rerun.py", "content/steps.ipynb", "--output=broken"], cwd=bundle,
                          env=reader_environment(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 1
    assert re.search(r"^\[3/4\] FAILED after \d+\.\d s$", done.stdout, re.M), done.stdout
    assert "ValueError: the reader broke it" in re.sub(r"\x1b\[[0-9;]*m", "", done.stdout)  # nbclient's traceback
    assert "[4/4]" not in done.stdout
    assert re.search(r"^Stopped in \d+\.\d s; wrote content/broken\.ipynb$", done.stdout, re.M)
    kept = nbformat.read(bundle / "content/broken.ipynb", as_version=4)
    assert kept.cells[1].outputs[0]["text"] == "loading data\n"
