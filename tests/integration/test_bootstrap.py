"""`./bootstrap test` and apt's locks: it waits for another apt/dpkg process, and when
chromium still cannot be had it stops, with a message, before any test runs.

The real apt-get runs against a sandbox (APT_CONFIG: its own dpkg status, lists, cache and
one local, empty repository), so the machine's own apt state and chromium are not touched.
apt takes fcntl (POSIX) locks, so the test holds the sandbox's lock with fcntl.lockf: a
`flock` lock would not conflict with apt's at all.
"""
import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("apt-get"),
                       reason="bootstrap installs chromium with apt-get as root (Debian), as CI runs it"),
]

LOCKS = {"dpkg": "dpkg/lock-frontend",  # apt-get install (DPkg::Lock::Timeout waits)
         "lists": "lists/lock"}          # apt-get update (bootstrap's own retries wait)


@pytest.fixture
def sandbox(tmp_path):
    """A copy of bootstrap in an empty project, and an apt configuration of its own."""
    apt = tmp_path / "apt"
    for folder in ("dpkg/updates", "lists/partial", "cache/archives/partial", "parts", "repo"):
        (apt / folder).mkdir(parents=True)
    (apt / "dpkg/status").write_text("")
    (apt / "repo/Packages").write_text("")  # so apt-get update has a list to fetch (and lock)
    (apt / "parts/local.list").write_text(f"deb [trusted=yes] file:{apt}/repo ./\n")
    (apt / "apt.conf").write_text(
        f'Dir::State::status "{apt}/dpkg/status";\n'
        f'Dir::State::Lists "{apt}/lists";\n'
        f'Dir::Cache "{apt}/cache";\n'
        'Dir::Etc::SourceList "/dev/null";\n'
        f'Dir::Etc::SourceParts "{apt}/parts";\n')
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy2(ROOT / "bootstrap", project / "bootstrap")
    env = {**os.environ, "APT_CONFIG": str(apt / "apt.conf"),
           "CHROMIUM": str(tmp_path / "no-chromium")}
    return apt, project, env


def hold(path: Path):
    """Take apt's lock at `path` as another apt process would (fcntl); closing releases it."""
    path.touch()
    handle = path.open("w")
    fcntl.lockf(handle, fcntl.LOCK_EX)
    return handle


def run_bootstrap(project, env, lock, release_on_wait):
    """Run `./bootstrap test` with `lock` held; release it once apt says it waits on it,
    or never. Returns (exit status, everything it printed)."""
    process = subprocess.Popen([str(project / "bootstrap"), "test"], cwd=project, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in process.stdout:
        lines.append(line)
        if release_on_wait and "Could not get lock" in line and not lock.closed:
            lock.close()
    lock.close()
    return process.wait(timeout=60), "".join(lines)


@pytest.mark.parametrize("which", LOCKS)
def test_a_lock_held_throughout_stops_bootstrap_before_any_test(sandbox, which):
    apt, project, env = sandbox
    lock = hold(apt / LOCKS[which])
    status, printed = run_bootstrap(project, {**env, "BOOTSTRAP_APT_LOCK_WAIT": "2"},
                                    lock, release_on_wait=False)
    assert status == 1, printed
    assert f"Could not get lock {apt / LOCKS[which]}" in printed  # apt named the held lock
    assert "cannot run the browser tests: there is no Chromium at" in printed
    assert "No test was run." in printed
    # It stopped before the virtual environment, the install and invoke.
    assert "running: invoke" not in printed
    assert not (project / ".venv").exists()


@pytest.mark.parametrize("which", LOCKS)
def test_bootstrap_waits_for_a_lock_and_goes_on_when_it_is_released(sandbox, which):
    apt, project, env = sandbox
    lock = hold(apt / LOCKS[which])
    status, printed = run_bootstrap(project, {**env, "BOOTSTRAP_APT_LOCK_WAIT": "300"},
                                    lock, release_on_wait=True)
    waited = printed.index(f"Could not get lock {apt / LOCKS[which]}")
    # Past the lock, apt-get install ran: the sandbox's empty repository has no chromium,
    # so it fails there, and bootstrap still stops before any test.
    assert printed.index("E: Unable to locate package chromium") > waited, printed
    assert "apt-get install chromium failed" in printed
    assert status == 1
    assert not (project / ".venv").exists()
