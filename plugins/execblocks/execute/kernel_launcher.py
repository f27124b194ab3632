"""Runs one kernel so that nothing it starts outlives the build (run as a script, stdlib only).

    python execute/kernel_launcher.py BUILD_PID -- python -m ipykernel_launcher -f ...

jupyter_client starts this script in a session of its own; the kernel runs as its child in
the same process group, so jupyter_client's interrupts (SIGINT to the group, for timeouts)
and kills (SIGKILL to the group) reach the kernel and whatever a block spawned. What a group
signal cannot reach, this watchdog does, on Linux:

- the build dies (SIGKILL, SIGTERM, a CI timeout): PR_SET_PDEATHSIG sends us SIGTERM, and
  we SIGKILL every descendant (PR_SET_CHILD_SUBREAPER makes even double-forked daemons,
  or a block child that called setsid(), our descendants), then exit;
- the kernel exits or dies: its leftovers are killed, and we exit the way it did (same
  signal, same status), so the engine can say how the kernel died.

Whatever a block left running that this kills (a daemon, a server) is named in one line
on the build's stderr: `execblocks: content/x.md: killed 1 process its blocks left running: ...`.

Elsewhere (macOS, Windows) it simply runs the kernel.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
ARTICLE_ENV = "EXECBLOCKS_ARTICLE"  # the article's path, for the line that names what was killed
_kernel_pid = 0


def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")


def _descendants(root: int) -> list[int]:
    """Every live process below `root`, found from /proc's parent links.

    Zombies are walked through but not returned: /proc is read one process at a time, so a
    child may still name a parent that has since died (it is being reparented to us), and
    cutting the walk at that parent would miss the child."""
    children: dict[int, list[int]] = {}
    zombies: set[int] = set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        fields = stat[stat.rfind(b")") + 2:].split()
        if fields:
            children.setdefault(int(fields[1]), []).append(int(name))
            if fields[0] == b"Z":
                zombies.add(int(name))
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return [pid for pid in found if pid not in zombies]


def _command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            words = handle.read().rstrip(b"\0").split(b"\0")
    except OSError:
        return "?"
    text = " ".join(word.decode("utf-8", "replace") for word in words)
    return text if len(text) <= 80 else text[:77] + "..."


def _kill_descendants() -> list[tuple[int, str]]:
    """Kill everything below us; the processes killed other than the kernel, as (pid, command)."""
    me = os.getpid()
    killed: list[tuple[int, str]] = []
    for _ in range(100):  # a fork bomb may add processes while we kill: go round until none
        pids = _descendants(me)
        if not pids:
            break
        for pid in pids:
            command = _command_line(pid) if pid != _kernel_pid and len(killed) < 1000 else ""
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            if pid != _kernel_pid:
                killed.append((pid, command))
        _reap()
    _reap()
    return killed


def _report(killed: list[tuple[int, str]]) -> None:
    """One line on the build's stderr for what a block left running (a daemon, a server it
    forgot): the build killed it, and the author should know it was there."""
    if not killed:
        return
    article = os.environ.get(ARTICLE_ENV, "a kernel")
    shown = ", ".join(f"pid {pid} ({command})" for pid, command in killed[:5] if command)
    more = f", and {len(killed) - 5} more" if len(killed) > 5 else ""
    line = (f"execblocks: {article}: killed {len(killed)} process{'es' if len(killed) != 1 else ''} its blocks "
            f"left running: {shown}{more}\n")
    try:
        os.write(2, line.encode("utf-8", "replace"))
    except OSError:
        pass


def _reap() -> None:
    """Collect exited children (orphans adopted as subreaper included), never blocking."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _stop_watching() -> None:
    """Once cleaning up, nothing interrupts it: a second SIGTERM, SIGHUP or the parent poll
    would run the clean-up again inside the first and exit from there, abandoning the
    first one's work half done (block children outlived SIGKILLed builds that way)."""
    signal.setitimer(signal.ITIMER_REAL, 0)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGALRM):
        signal.signal(sig, signal.SIG_IGN)


def _exit_like(status: int) -> None:
    _stop_watching()
    _report(_kill_descendants())
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig != signal.SIGKILL:  # SIGKILL's handler cannot be set, nor caught
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    os._exit(os.waitstatus_to_exitcode(status) if not os.WIFSIGNALED(status) else 1)


def _on_terminate(signum, frame) -> None:
    _stop_watching()
    _report(_kill_descendants())
    os._exit(128 + signum)


def _kernel_setup() -> None:
    # In the kernel, before exec: it answers interrupts, and dies if this watchdog does.
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def main(argv: list[str]) -> None:
    build_pid, separator, command = int(argv[0]), argv[1], argv[2:]
    assert separator == "--" and command, "usage: execute/kernel_launcher.py BUILD_PID -- KERNEL COMMAND..."
    if not sys.platform.startswith("linux"):
        os.execvp(command[0], command)
    signal.signal(signal.SIGTERM, _on_terminate)
    signal.signal(signal.SIGHUP, _on_terminate)
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != build_pid:  # the build died before we could listen for its death
        os._exit(1)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)

    def check_parent(signum, frame):  # belt and braces: PDEATHSIG, and a poll once a second
        if os.getppid() != build_pid:
            _on_terminate(signal.SIGTERM, frame)

    signal.signal(signal.SIGALRM, check_parent)
    signal.setitimer(signal.ITIMER_REAL, 1.0, 1.0)
    # Interrupts are for the kernel (jupyter_client signals the whole group on a timeout).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    env = dict(os.environ, JPY_PARENT_PID=str(os.getpid()))  # ipykernel's own parent poller
    global _kernel_pid
    kernel = subprocess.Popen(command, env=env, preexec_fn=_kernel_setup)
    _kernel_pid = kernel.pid
    while True:
        pid, status = os.waitpid(-1, 0)
        if pid == kernel.pid:
            _exit_like(status)


if __name__ == "__main__":
    main(sys.argv[1:])
