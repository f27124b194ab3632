"""Issue 13 §4: after any failed build, output/ is the previous complete site or the new
one, and the results store holds only complete entries. The failures are real: a file-size
limit (RLIMIT_FSIZE, which applies to root too) on a real build in a subprocess."""

from __future__ import annotations

import hashlib
import os
import resource
import subprocess

import pytest

from execblocks.store import ResultsStore

pytestmark = pytest.mark.slow

BIG = """\
Title: Big
Date: 2026-01-02

Some prose.

```{python}
for i in range(3000):
    print(f"{i:6d} " + "x" * 93)
```
"""
LIMIT = 200_000  # bytes: the big page and its stored notebook are about 300 kB


def tree(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def build(project, file_limit: int | None = None) -> subprocess.CompletedProcess:
    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    return subprocess.run(project.pelican_command(), cwd=project.root, capture_output=True, text=True,
                          preexec_fn=limit if file_limit else None, env=dict(os.environ, COLUMNS="400"))


def leftovers(project):
    return [p.name for p in project.root.iterdir() if ".building-" in p.name or ".previous-" in p.name]


def test_a_full_disk_while_writing_the_site_leaves_the_previous_site(project):
    project.write("content/big.md", BIG)
    assert build(project).returncode == 0
    before = tree(project.output)
    assert "Some prose." in project.html("big")

    project.edit("content/big.md", "Some prose.", "Edited prose.")  # nothing to execute, only to write
    failed = build(project, LIMIT)
    said = " ".join((failed.stdout + failed.stderr).split())
    assert failed.returncode != 0
    assert "File too large" in said and "the output folder still holds the previous complete site" in said
    assert "Traceback" not in said
    assert tree(project.output) == before  # not a mix: the previous site, byte for byte
    assert leftovers(project) == []

    rebuilt = build(project)  # the disk has room again: no manual cleanup
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert "Edited prose." in project.html("big") and leftovers(project) == []


def test_a_full_disk_while_storing_results_keeps_only_complete_entries(project):
    project.write("content/big.md", BIG)
    failed = build(project, LIMIT)
    said = " ".join((failed.stdout + failed.stderr).split())
    assert failed.returncode == 1
    assert "could not store the results of content/big.md: " in said and "/results/big/" in said
    assert "File too large" in said
    assert "Traceback" not in said
    store = ResultsStore(project.results)
    for article_id in store.entry_ids():
        store.read(article_id)  # raises CorruptEntryError on a half-written entry
    assert not list(project.results.rglob("*.tmp"))
    assert not (project.output / "big.html").exists()

    rebuilt = build(project)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert "  2999 xxx" in project.html("big")
