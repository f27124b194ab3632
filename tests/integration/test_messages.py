"""Issue 13 §5 and issue 9 §3: messages that say what happened and where, in one plain line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from execblocks import BlockExecutionError
from execblocks.errors import ArticleSyntaxError

pytestmark = pytest.mark.slow
INVOKE = str(Path(sys.executable).with_name("invoke"))


def article(body: str, header: str = "Title: T\nDate: 2026-01-02\n") -> str:
    return f"{header}\n```{{python}}\n{body}\n```\n"


@pytest.mark.parametrize("code, words", [
    ("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)", "was killed by SIGSEGV (a segmentation fault"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "was killed by SIGKILL (out of memory"),
    ("import os\nos._exit(3)", "exited with status 3"),
], ids=["SIGSEGV", "SIGKILL", "exit-3"])
def test_dead_kernel_says_how_it_died(project, code, words):
    project.write("content/crash.md", article(code))
    with pytest.raises(BlockExecutionError) as caught:
        project.build()
    message = str(caught.value)
    assert message.startswith("content/crash.md:5: block 1 raised DeadKernelError: the kernel ")
    assert words in message and "error: true" not in message


@pytest.mark.built
def test_inline_error_names_the_expression_and_its_line(project):
    project.write("content/inline.md", "Title: T\nDate: 2026-01-02\n\n```{python}\nx = 1\n```\n\n"
                  "Fine: `{python} x`.\n\nBroken: `{python} 1 / (x - 1)`.\n")
    with pytest.raises(BlockExecutionError) as caught:
        project.build()
    message = str(caught.value)
    assert message.startswith("content/inline.md:10: the inline value `{python} 1 / (x - 1)` raised "
                              "ZeroDivisionError: division by zero")
    assert "block -1" not in message and "__execblocks__" not in message and "error: true" not in message
    assert "<inline value>" not in message  # the engine's wrapping of the expression


@pytest.mark.built
@pytest.mark.parametrize("expr, says", [("x = 1", "invalid syntax"), ("x +", "invalid syntax"),
                                         ("len(x", "'(' was never closed")])
def test_an_inline_value_that_is_not_an_expression_fails_before_any_block_runs(project, expr, says):
    project.write("content/inline.md", "Title: T\nDate: 2026-01-02\n\n```{python}\nx = [1]\n```\n\n"
                  f"Fine: `{{python}} len(x)`.\n\nBroken: `{{python}} {expr}`.\n")
    with pytest.raises(ArticleSyntaxError) as caught:  # from the parse: a failed run raises BlockExecutionError
        project.build()
    assert str(caught.value).startswith(f"content/inline.md:10: the inline value `{{python}} {expr}` is not a "
                                        f"Python expression: {says}")
    assert not (project.results / "inline").exists()  # no run: neither results nor a failure record




def invoke(project, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "EXECBLOCKS_MODE"}
    return subprocess.run([INVOKE, *args], cwd=project.root, env=env, capture_output=True, text=True)


@pytest.mark.parametrize("header, says", [
    ("Date: 2026-01-02\n", "content/untitled.md: missing Title"),
    ("Title: T\nDate: 2026-13-45\n", "content/untitled.md:2: Date '2026-13-45' is not a date Pelican can read"),
], ids=["no-title", "bad-date"])
def test_metadata_pelican_rejects_fails_before_any_block_runs(tasks_project, tmp_path, header, says):
    ran = tmp_path / "ran"
    tasks_project.write("content/untitled.md", article(f"open({str(ran)!r}, 'w').close()", header))
    for task in ("build", "status", "check"):
        done = invoke(tasks_project, task)
        assert done.returncode == 1 and says in done.stderr, (task, done.stderr)
        assert "Traceback" not in done.stderr and "fresh" not in done.stdout
    assert not ran.exists()  # no block ran
    # The same through Pelican itself: one plain line, not a rich traceback.
    done = subprocess.run(tasks_project.pelican_command(), cwd=tasks_project.root, capture_output=True, text=True)
    said = " ".join((done.stdout + done.stderr).split())  # Pelican's log wraps lines
    assert done.returncode == 1 and ("missing Title" if "Title" in says else "not a date Pelican can read") in said
    assert "Traceback" not in said and 'File "' not in said


def test_pelican_fatal_error_is_one_plain_line(tasks_project):
    tasks_project.write("content/escape.md", "Title: Out\nDate: 2026-01-02\nSlug: ../../escaped\n\nProse.\n")
    done = invoke(tasks_project, "build")
    said = " ".join((done.stdout + done.stderr).split())  # Pelican's log wraps lines
    assert done.returncode == 1
    assert "would be written outside output path" in said and "pelican: the build stopped at the error logged above" in said
    assert "Traceback" not in said and 'File "' not in said
    assert not (tasks_project.root.parent / "escaped.html").exists()


@pytest.mark.built
def test_a_block_inside_an_html_comment_is_never_run(project):
    project.write("content/commented.md", "Title: Commented\nDate: 2026-01-02\n\n<!--\n```{python}\n"
                  "raise ValueError('must not run')\n```\n-->\n\n```{python}\nprint('runs')\n```\n")
    project.build()
    page = project.html("commented")
    assert "<pre>runs\n</pre>" in page
    assert "must not run" not in page.replace("<!--", "\x00").split("\x00", 1)[0]  # hidden, if shown at all


@pytest.mark.built
def test_a_missing_package_says_to_add_it_to_requirements_and_the_venv(project):
    project.write("content/missing.md", article("import numpy\nimport no_such_package_here.sub"))
    with pytest.raises(BlockExecutionError) as caught:
        project.build()
    message = str(caught.value)
    assert message.startswith("content/missing.md:6: block 1 raised ModuleNotFoundError: "
                              "No module named 'no_such_package_here'")
    assert "`no_such_package_here` to requirements.txt" in message and ".venv/bin/pip install" in message
    assert "error: true" not in message
