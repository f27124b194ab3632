"""Issue 13 §4: after any failed build, output/ is the previous complete site or the new
one, and the results store holds only complete entries. The failures are real: a file-size
limit (RLIMIT_FSIZE, which applies to root too) on a real build in a subprocess."""

from __future__ import annotations

import hashlib
import os
import resource
import subprocess

import pytest

from execblocks.store.results_folder import ResultsStore

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


PAGE = "Title: {title}\nDate: 2026-01-0{day}\n\nSome words.\n"


def test_a_build_reuses_the_site_before_last_and_drops_what_it_no_longer_writes(project):
    """The replaced site becomes the next build's folder (Pelican overwrites instead of
    creating every file anew); whatever that build did not write is gone from the site."""
    project.write("content/a.md", PAGE.format(title="A", day=2))
    project.write("content/b.md", PAGE.format(title="B", day=3))
    project.build()
    project.build()  # the first site is now the spare
    spare = project.root / ".output.spare"
    assert (spare / "b.html").is_file()
    reused = (spare / "a.html").stat().st_ino
    (project.content / "b.md").unlink()
    project.build()
    assert (project.output / "a.html").stat().st_ino == reused  # the same file, written over
    assert not (project.output / "b.html").exists()  # the spare had it; this build did not write it
    assert "b.html" not in (project.output / "index.html").read_text()
    assert not (project.output / ".execblocks-build-started").exists()
    assert leftovers(project) == []
    fresh = tree(project.output)
    project.build(DELETE_OUTPUT_DIRECTORY=True)  # Pelican's rebuild: the same site
    assert tree(project.output) == fresh


def test_the_served_site_is_never_written_through_a_shared_file(project):
    """Results are hard-linked between the served site and the next build's folder: a build
    that changes them replaces the names, never the bytes the served site holds."""
    project.build()
    project.build()
    served = project.output / "results/hello/hello.py"
    text, inode = served.read_text(), served.stat().st_ino
    project.edit("content/hello.md", "double(21)", "double(20)")
    project.build()
    spare_copy = project.root / ".output.spare/results/hello/hello.py"
    assert spare_copy.stat().st_ino == inode and spare_copy.read_text() == text  # untouched
    assert "double(20)" in served.read_text() and served.stat().st_ino != inode


def test_downloads_linked_by_the_build_before_last_are_kept_as_they_are(project):
    """A no-op build finds the downloads of its folder (the site before last) already linked
    to the served ones: it keeps them (site/results_generator.py `_same_file`), and the sweep
    does not take them for files this build did not write."""
    project.build()
    project.build()
    project.build()
    for name in ("hello.py", "hello.ipynb", "hello.zip"):
        served, spare = project.output / "results/hello" / name, project.root / ".output.spare/results/hello" / name
        assert served.stat().st_ino == spare.stat().st_ino and served.stat().st_size > 0
    before = tree(project.output)
    project.build()
    assert tree(project.output) == before


def test_static_files_pelican_leaves_alone_are_kept(project):
    """With STATIC_CHECK_IF_MODIFIED Pelican copies only changed static files, so a build
    starts from an empty folder: nothing it skipped is lost."""
    project.write("content/images/pic.txt", "a static file")
    for _ in range(3):
        project.build(STATIC_PATHS=["images"], STATIC_CHECK_IF_MODIFIED=True)
        assert (project.output / "images/pic.txt").read_text() == "a static file"
