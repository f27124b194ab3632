"""Kernels that cannot outlive the build, and what to say when one dies.

`ContainedKernelManager` is jupyter_client's kernel manager with the kernel command
wrapped in execute/kernel_launcher.py (a watchdog that kills the kernel and every process a
block started when the build dies; see that file for how). `how_it_died` turns the
kernel's exit status into the words a user needs: SIGSEGV, SIGKILL, out of memory,
exit status n.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from traitlets import Type

from execblocks.execute.kernel_client import PromptKernelClient

LAUNCHER = Path(__file__).resolve().with_name("kernel_launcher.py")


class ContainedKernelManager(AsyncKernelManager):
    # Ready once the kernel answers, without jupyter_client's 0.2 s of IOPub silence.
    client_factory = Type(PromptKernelClient, klass=AsyncKernelClient)

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        command = super().format_kernel_cmd(extra_arguments)
        return [sys.executable, str(LAUNCHER), str(os.getpid()), "--", *command]

    async def _async_kill_kernel(self, restart: bool = False) -> None:
        # A private method of jupyter_client (listed in execblocks/private_uses.py, which
        # warns when it is gone). jupyter_client kills with SIGKILL to the whole group, the
        # watchdog included, which would leave a block's setsid() children behind. SIGTERM
        # to the watchdog alone first: it kills everything below it, then exits; the group
        # kill is the fallback.
        process = getattr(self.provisioner, "process", None) if self.provisioner else None
        if process is not None and process.poll() is None:
            try:
                process.send_signal(signal.SIGTERM)
            except OSError:
                pass
            for _ in range(500):  # up to 5 s; looked at often: it is usually gone in a few ms
                if process.poll() is not None:
                    break
                await asyncio.sleep(0.01)
        await super()._async_kill_kernel(restart=restart)

    def exit_status(self) -> int | None:
        """The kernel's exit status as Popen reports it (-N: killed by signal N), once it ended."""
        process = getattr(self.provisioner, "process", None) if self.provisioner else None
        if process is None:
            return None
        try:
            return process.wait(timeout=2)
        except Exception:  # still running, or already collected elsewhere
            return process.returncode


def oom_kills() -> int | None:
    """The kernel OOM killer's count for this cgroup (cgroup v2), None where unknown."""
    for path in ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"):
        try:
            text = Path(path).read_text()
        except OSError:
            continue
        for line in text.splitlines():
            name, _, value = line.partition(" ")
            if name == "oom_kill":
                return int(value)
    return None


def how_it_died(status: int | None, oom_before: int | None = None) -> str:
    """'was killed by SIGKILL (out of memory: the kernel's OOM killer ended it)', 'exited with status 3'..."""
    if status is None:
        return "died (its exit status is unknown)"
    if status >= 0:
        return f"exited with status {status}" + (" (the block called exit() or os._exit())" if status else "")
    try:
        name = signal.Signals(-status).name
    except ValueError:
        name = f"signal {-status}"
    text = f"was killed by {name}"
    if -status == signal.SIGKILL:
        after = oom_kills()
        if oom_before is not None and after is not None and after > oom_before:
            return text + " (out of memory: the system's OOM killer ended it)"
        return text + " (out of memory, or killed from outside)"
    if -status == signal.SIGSEGV:
        return text + " (a segmentation fault, in native code such as a C extension)"
    if -status == signal.SIGABRT:
        return text + " (native code aborted)"
    return text
