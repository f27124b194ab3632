"""Device and seeds for experiment code, picked the same way wherever an article runs:
in the blog's build, in a downloaded bundle, or in any notebook.

    from reproducible import device, seed
    DEVICE = device()   # "cuda", else "mps", else "cpu"; $BLOG_DEVICE overrides
    seed(0)             # Python's, NumPy's and torch's global generators

It imports nothing from the blog's engine (plugins/execblocks), and torch and NumPy only
when a function needs them, so a reader's copy runs with the listed requirements alone.
"""

from __future__ import annotations

import os
import random
import sys

DEVICES = ("cuda", "mps", "cpu")

_device: str | None = None


def device() -> str:
    """The device article code should use: "cuda", "mps" or "cpu" (picked once per kernel).

    $BLOG_DEVICE overrides the choice. On the CPU, torch gets one thread
    ($EXECBLOCKS_TORCH_THREADS to change it): on small networks extra threads cost far
    more than they give; the blog's build runs articles side by side instead.
    torch's global generator is seeded with 0 once the device is picked.
    """
    global _device
    if _device is not None:
        return _device
    import torch

    wanted = os.environ.get("BLOG_DEVICE", "").strip().lower()
    if wanted and wanted.split(":")[0] not in DEVICES:
        raise ValueError(f"BLOG_DEVICE={wanted!r}: expected one of {', '.join(DEVICES)}")
    if wanted.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError("BLOG_DEVICE asks for cuda, but torch sees no CUDA device")
    if wanted:
        chosen = wanted
    elif torch.cuda.is_available():
        chosen = "cuda"
    elif getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        chosen = "mps"
    else:
        chosen = "cpu"
    if chosen == "cpu":
        torch.set_num_threads(int(os.environ.get("EXECBLOCKS_TORCH_THREADS", "1")))
    torch.manual_seed(0)
    _device = chosen
    return chosen


def picked() -> str | None:
    """The device `device()` chose in this process, None when nothing asked for one.
    The blog's build reads it to record where the results were computed."""
    return _device


def seed(value: int = 0) -> None:
    """Seed Python's `random`, and NumPy's and torch's global generators when they are
    imported (this function imports neither)."""
    random.seed(value)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(value)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(value)
