"""The results store is never stale and never churns: dependencies recorded while an
article runs, environment recorded but not keyed, corruption, kills and concurrency."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest

from execblocks import BlockExecutionError, status
from execblocks.execute.plan import FRESH, STALE, FAILED

OTHER = """\
Title: Other
Date: 2026-01-03

```{python}
with open("../data/numbers.csv") as handle:
    total = sum(int(line) for line in handle)
print("total", total)
```
"""


def ran(err: str) -> set[str]:
    return {line.split()[2] for line in err.splitlines() if line.startswith("execblocks: running ")}


def states(project, **overrides) -> dict[str, tuple[str, list[str]]]:
    return {p.article.rel_path: (p.state, p.reasons) for p in status(project.engine(**overrides))}


@pytest.fixture(scope="module")
def two_articles_built_once(hello_built_once, tmp_path_factory):
    project = hello_built_once.copy(tmp_path_factory.mktemp("two-articles") / "project")
    project.write("content/other.md", OTHER)
    project.write("data/numbers.csv", "1\n2\n3\n")
    project.write("code/unused.py", "VALUE = 1\n")
    project.build()
    return project


@pytest.fixture
def two_articles(two_articles_built_once, tmp_path):
    """hello.md and other.md, built (a copy of one build per module: each test edits its own)."""
    return two_articles_built_once.copy(tmp_path / "project")


def test_dependencies_are_recorded_not_declared(two_articles):
    hello = json.loads((two_articles.results / "hello/record.json").read_text())
    other = json.loads((two_articles.results / "other/record.json").read_text())
    assert list(hello["dependencies"]) == ["code/helper.py"]
    assert list(other["dependencies"]) == ["data/numbers.csv"]


def test_module_edit_reruns_only_the_article_that_imports_it(two_articles, capfd):
    capfd.readouterr()
    two_articles.edit("code/helper.py", "def double", "# a comment only\ndef double")
    assert states(two_articles)["content/hello.md"] == (STALE, ["code/helper.py changed"])
    assert states(two_articles)["content/other.md"][0] == FRESH
    two_articles.build()
    assert ran(capfd.readouterr().err) == {"content/hello.md"}


def test_data_file_edit_reruns_the_article_that_read_it(two_articles, capfd):
    capfd.readouterr()
    two_articles.write("data/numbers.csv", "1\n2\n3\n4\n")
    assert states(two_articles)["content/other.md"] == (STALE, ["data/numbers.csv changed"])
    two_articles.build()
    assert ran(capfd.readouterr().err) == {"content/other.md"}
    assert "<pre>total 10\n</pre>" in two_articles.html("other")


def test_unrelated_edit_reruns_nothing(two_articles, capfd):
    capfd.readouterr()
    two_articles.write("code/unused.py", "VALUE = 2\n")
    two_articles.write("notes.txt", "not read by anything\n")
    two_articles.build()
    err = capfd.readouterr().err
    assert ran(err) == set() and "nothing to execute (2 article(s) fresh)" in err


def test_declared_dependency_read_by_a_subprocess(project, capfd):
    project.write("data/seen-by-cat.txt", "first\n")
    project.write("content/sub.md", """\
Title: Sub
Date: 2026-01-03

```{python}
#| depends: [../data/seen-by-cat.txt]
import subprocess
print(subprocess.run(["cat", "../data/seen-by-cat.txt"], capture_output=True, text=True).stdout)
```
""")
    project.build()
    project.write("data/seen-by-cat.txt", "second\n")
    assert states(project)["content/sub.md"] == (STALE, ["data/seen-by-cat.txt changed"])
    capfd.readouterr()
    project.build()
    assert ran(capfd.readouterr().err) == {"content/sub.md"}
    assert "second" in project.html("sub")


@pytest.mark.built
def test_environment_change_is_reported_not_invalidating(project, monkeypatch):
    project.build()
    import execblocks.execute.plan as plan

    real = plan.current_environment()
    monkeypatch.setattr(plan, "current_environment", lambda: dict(real, numpy="0.0.1"))
    state, reasons = states(project)["content/hello.md"]
    assert (state, reasons) == (FRESH, [])
    notes = [p.notes for p in status(project.engine())][0]
    assert notes == [f"numpy {real['numpy']} when run, 0.0.1 now"]
    # ...unless the author asks for the environment to be part of the key.
    state, reasons = states(project, EXECBLOCKS_ENVIRONMENT_IN_KEY=True)["content/hello.md"]
    assert state == STALE and "environment changed (EXECBLOCKS_ENVIRONMENT_IN_KEY is on)" in reasons


@pytest.mark.built
def test_force_rerun_is_byte_identical_except_provenance(project):
    project.build()
    snapshot = {p.relative_to(project.results): p.read_bytes() for p in project.results.rglob("*") if p.is_file()}
    project.build(EXECBLOCKS_MODE="force")
    again = {p.relative_to(project.results): p.read_bytes() for p in project.results.rglob("*") if p.is_file()}
    assert snapshot.keys() == again.keys()
    changed = sorted(str(k) for k in snapshot if snapshot[k] != again[k])
    assert changed == ["hello/provenance.json"]


@pytest.mark.built
@pytest.mark.parametrize("victim", ["notebook.ipynb", "figure", "record.json"])
def test_corrupted_entry_is_detected_and_rerun(project, capfd, victim):
    project.build()
    entry = project.results / "hello"
    path = next(entry.glob("*.png")) if victim == "figure" else entry / victim
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])  # truncated
    stamp = path.stat().st_mtime_ns + 2 * 10**9  # by hand, after the build (not within its clock tick)
    os.utime(path, ns=(stamp, stamp))
    state, reasons = states(project)["content/hello.md"]
    assert state == STALE and "corrupt" in reasons[0]
    capfd.readouterr()
    project.build()
    assert "content/hello.md (stale): stored result is corrupt" in capfd.readouterr().err
    assert states(project)["content/hello.md"] == (FRESH, [])
    assert "<pre>x is 42\n</pre>" in project.html()


@pytest.mark.built
def test_failed_run_keeps_the_last_good_results(project):
    project.build()
    good = {p.name: p.read_bytes() for p in (project.results / "hello").iterdir()}
    project.edit("content/hello.md", "x + 1", "x + undefined_name")
    with pytest.raises(BlockExecutionError) as caught:
        project.build()
    assert (caught.value.path, caught.value.line) == ("content/hello.md", 25)
    entry = project.results / "hello"
    assert {p.name: p.read_bytes() for p in entry.iterdir() if p.name != "failure.json"} == good
    state, reasons = states(project)["content/hello.md"]
    assert state == FAILED and reasons[0].startswith("last run failed at content/hello.md:25: NameError")
    project.edit("content/hello.md", "x + undefined_name", "x + 1")
    project.build()
    assert not (entry / "failure.json").exists()
    assert states(project)["content/hello.md"] == (FRESH, [])


SLOW = """\
Title: Slow
Date: 2026-01-03

```{python}
print("first block")
```

```{python}
import os, time
# Held until the test says go (an event, never a guess at how long the other side takes).
while os.environ.get("GO_FILE") and not os.path.exists(os.environ["GO_FILE"]):
    time.sleep(0.05)
print("slept")
```
"""


def _start(project) -> subprocess.Popen:
    """A build in its own process; its block 2 waits until project.root/go exists."""
    env = dict(os.environ, GO_FILE=str(project.root / "go"))
    return subprocess.Popen(project.pelican_command(), cwd=project.root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _wait_for(process: subprocess.Popen, text: str) -> str:
    """Read the process's output until `text` appears; fail if it ends without it."""
    seen = ""
    while text not in seen:
        line = process.stdout.readline()
        assert line, f"the process ended without printing {text!r}:\n{seen}"
        seen += line
    return seen


def test_sigkill_mid_execution_then_rebuild(project):
    project.write("content/slow.md", SLOW)
    build = _start(project)
    _wait_for(build, "content/slow.md: block 2/2")
    os.killpg(build.pid, signal.SIGKILL)  # the build and its kernels, mid-block
    build.wait()
    assert not (project.results / "slow" / "record.json").exists()
    assert not list(project.results.rglob("*.tmp"))
    assert states(project)["content/slow.md"][0] == "missing"
    project.build()
    assert "slept" in project.html("slow")
    assert states(project)["content/slow.md"] == (FRESH, [])


def test_two_builds_started_together_run_each_article_once(project):
    project.write("content/slow.md", SLOW)
    first = _start(project)
    _wait_for(first, "execblocks: running")  # it holds the store's lock until go
    second = _start(project)
    seen_second = _wait_for(second, "another build is using")
    (project.root / "go").touch()
    out_second, _ = second.communicate()
    out_first, _ = first.communicate()
    out_second = seen_second + out_second
    assert first.returncode == 0 and second.returncode == 0, out_first + out_second
    assert "another build is using" in out_second
    assert "execblocks: running" not in out_second  # it waited, then found everything fresh
    assert "nothing to execute" in out_second


def test_declared_dependency_that_does_not_exist_is_an_error(project):
    from execblocks import ArticleSyntaxError

    project.write("content/typo.md", "Title: Typo\nDate: 2026-01-03\n\n```{python}\n#| depends: [nope.csv]\nx = 1\n```\n")
    with pytest.raises(ArticleSyntaxError) as caught:
        project.build()
    assert str(caught.value).startswith("content/typo.md:4: depends: nope.csv is not a file")
