"""Issue 13 §1: every block has a ceiling, and nothing a build started outlives it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from support import with_tasks
from execblocks import BlockExecutionError

pytestmark = pytest.mark.slow

SPAWNER = """\
Title: Spawner
Date: 2026-01-02

```{{python}}
import os, subprocess, time
plain = subprocess.Popen(["sleep", "300"])
escaped = subprocess.Popen(["sleep", "301"], start_new_session=True)  # leaves the kernel's group
with open({pids!r}, "w") as handle:
    handle.write(f"{{os.getpid()}} {{os.getppid()}} {{plain.pid}} {{escaped.pid}}")
time.sleep(300)
```
"""


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_until(condition, limit: float = 60.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def invoke_build_command(project) -> list[str]:
    """`invoke build` as a user runs it, in the project."""
    with_tasks(project)
    return [str(Path(sys.executable).with_name("invoke")), "build"]


def without_hello(project):
    """Only the article under test: the `project` fixture's hello.md would add a kernel run
    to the build and check nothing here."""
    (project.content / "hello.md").unlink()
    return project


@pytest.mark.parametrize("how, runner", [(signal.SIGKILL, "invoke"), (signal.SIGKILL, "pelican"),
                                         (signal.SIGTERM, "pelican")],
                         ids=["SIGKILL-invoke-build", "SIGKILL-pelican", "SIGTERM-pelican"])
def test_killing_the_build_leaves_no_process_of_its_kernel(project, tmp_path, how, runner):
    without_hello(project)
    pid_file = tmp_path / "pids"
    project.write("content/spawner.md", SPAWNER.format(pids=str(pid_file)))
    command = invoke_build_command(project) if runner == "invoke" else project.pelican_command()
    build = subprocess.Popen(command, cwd=project.root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: pid_file.exists() and len(pid_file.read_text().split()) == 4, 120)
        pids = [int(p) for p in pid_file.read_text().split()]  # kernel, its launcher, two children
        assert all(alive(p) for p in pids)
        os.kill(build.pid, how)  # the build only, by its PID, as CI's timeout would
        build.wait(timeout=30)
        assert wait_until(lambda: not any(alive(p) for p in pids)), \
            [psutil.Process(p).cmdline() for p in pids if alive(p)]
    finally:
        if build.poll() is None:
            build.kill()


def test_a_finished_build_leaves_no_process_either(project, tmp_path):
    without_hello(project)
    pid_file = tmp_path / "pids"
    project.write("content/spawner.md", SPAWNER.format(pids=str(pid_file)).replace("time.sleep(300)", ""))
    project.build()
    pids = [int(p) for p in pid_file.read_text().split()]
    assert wait_until(lambda: not any(alive(p) for p in pids))


SLOW = "Title: Slow\nDate: 2026-01-03\n\n```{python}\nprint(1)\n```\n\n```{python}\nimport time\ntime.sleep(300)\n```\n"


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.built  # hello.md's results, stored by a first build, are what must stay untouched
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "SIGTERM"])
def test_an_interrupted_build_stores_nothing_for_what_it_cut_short(project, how):
    """nbclient's own signal handlers shut the kernel down under the running cell, and the
    build stored "block 2 raised DeadKernelError" as the article's failure; a GPU run
    stopped by `timeout` did exactly that. An interruption is not the article's fault."""
    before = files_under(project.results)
    project.write("content/slow.md", SLOW)
    build = subprocess.Popen(project.pelican_command(), cwd=project.root, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, env=dict(os.environ, COLUMNS="300"))
    try:
        lines = []
        for line in build.stdout:  # waits on the build's own progress, not on time
            lines.append(line)
            if "content/slow.md: block 2/2" in line:
                break
        os.kill(build.pid, how)
        output = "".join(lines) + build.stdout.read()
        build.wait(timeout=60)
    finally:
        if build.poll() is None:
            build.kill()
    name = signal.Signals(how).name
    assert build.returncode == 128 + how, output
    assert f"interrupted by {name} while content/slow.md was running" in output
    assert "DeadKernelError" not in output and "FAILED" not in output
    assert not (project.results / "slow").exists()
    assert files_under(project.results) == before  # what was stored before is untouched


SLEEPER = "Title: Sleeper\nDate: 2026-01-02\n\n```{{python}}\n#| timeout: {timeout}\nimport time\ntime.sleep(120)\n```\n"


@pytest.mark.parametrize("timeout", [0, -1, 10**9])
def test_no_block_timeout_escapes_the_site_ceiling(project, timeout):
    (project.content / "hello.md").unlink()  # only the sleeper runs under the small ceiling
    project.write("content/sleeper.md", SLEEPER.format(timeout=timeout))
    with pytest.raises(BlockExecutionError) as caught:
        project.build(EXECBLOCKS_MAX_TIMEOUT=2)
    message = str(caught.value)
    assert message.startswith("content/sleeper.md:6: block 1 raised TimeoutError: ran past its 2 s limit")
    assert f"`#| timeout: {timeout}`" in message and "raise EXECBLOCKS_MAX_TIMEOUT in pelicanconf.py" in message
    assert "error: true" not in message  # it would not help


def test_timeout_says_which_limit_and_how_to_raise_it(project):
    without_hello(project)
    project.write("content/sleeper.md", SLEEPER.format(timeout=1))
    with pytest.raises(BlockExecutionError) as caught:
        project.build()
    assert "ran past its 1 s limit (`#| timeout: 1`); raise it with `#| timeout: N`" in str(caught.value)
    project.write("content/sleeper.md", SLEEPER.format(timeout=1).replace("#| timeout: 1\n", ""))
    with pytest.raises(BlockExecutionError) as caught:
        project.build(EXECBLOCKS_TIMEOUT=1)
    assert "ran past its 1 s limit (EXECBLOCKS_TIMEOUT = 1, the site's default)" in str(caught.value)
    assert "`#| timeout: N`" in str(caught.value) and "EXECBLOCKS_TIMEOUT in pelicanconf.py" in str(caught.value)


def test_a_daemon_a_block_left_running_is_killed_with_a_log_line(project, tmp_path):
    # Issue 24 §7: the build kills what a block leaves behind; now it also says so.
    without_hello(project)
    pid_file = tmp_path / "pids"
    project.write("content/spawner.md", SPAWNER.format(pids=str(pid_file)).replace("time.sleep(300)", ""))
    done = subprocess.run(project.pelican_command(), cwd=project.root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    kernel, launcher, plain, escaped = (int(p) for p in pid_file.read_text().split())
    assert wait_until(lambda: not alive(plain) and not alive(escaped))
    output = " ".join((done.stdout + done.stderr).split())
    # The child in the kernel's process group may go with jupyter_client's group kill first;
    # the one that left the group (setsid) is the watchdog's to kill, and to name.
    assert "execblocks: content/spawner.md: killed " in output and f"pid {escaped} (sleep 301)" in output
