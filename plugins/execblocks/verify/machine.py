"""Where a rerun ran: the CPU model, the GPU, the host, read without importing torch."""

from __future__ import annotations

import platform
import shutil
import socket
import subprocess

from execblocks.store.records import Machine

TRACKED = ("python", "numpy", "torch", "matplotlib")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def gpu_name() -> str:
    """The first NVIDIA GPU's name, or "none" (nvidia-smi is how a driver says it has one)."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return "none"
    try:
        names = subprocess.run([smi, "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                               text=True, timeout=20).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return "none"
    return names[0].strip() or "none"


def this_machine(device: str, versions: dict[str, str], host: str | None = None) -> Machine:
    """A rerun on this machine (`host` set: on a cluster worker, whose CPU and GPU this
    process cannot see; they are recorded as such, not guessed)."""
    tracked = {name: versions[name] for name in TRACKED if name in versions}
    if host is not None:
        return Machine(host, "unknown (cluster worker)", "unknown" if device == "cuda" else "none", device, tracked)
    return Machine(socket.gethostname(), cpu_model(), gpu_name() if device == "cuda" else "none", device, tracked)
