"""code/reproducible.py: the device and seeds article code uses, with no engine around."""

import subprocess
import sys
from pathlib import Path

import pytest

import reproducible
from execkernel import hooks as runtime

CODE = Path(__file__).resolve().parents[2] / "code"


def test_device_honours_override_and_is_picked_once(monkeypatch):
    import torch
    monkeypatch.setattr(reproducible, "_device", None)
    monkeypatch.setenv("BLOG_DEVICE", "cpu")
    threads = torch.get_num_threads()
    try:
        assert reproducible.picked() is None
        assert reproducible.device() == "cpu"
        assert torch.get_num_threads() == 1
        monkeypatch.setenv("BLOG_DEVICE", "tpu")  # ignored: already picked
        assert reproducible.device() == "cpu"
        assert reproducible.picked() == "cpu"
    finally:
        torch.set_num_threads(threads)


def test_unknown_device_is_rejected(monkeypatch):
    monkeypatch.setattr(reproducible, "_device", None)
    monkeypatch.setenv("BLOG_DEVICE", "tpu")
    with pytest.raises(ValueError, match="BLOG_DEVICE='tpu'"):
        reproducible.device()


def test_seed_repeats_python_numpy_and_torch_draws():
    import numpy as np
    import torch

    draws = []
    for _ in range(2):
        reproducible.seed(7)
        draws.append((__import__("random").random(), float(np.random.rand()), float(torch.rand(1))))
    assert draws[0] == draws[1]


def test_runs_without_the_engine_on_the_path():
    """What a reader's bundle does: only code/ on sys.path, no plugins/ folder at all."""
    probe = ("import sys; import reproducible; reproducible.seed(1); "
             "print(reproducible.device(), any(m.startswith('execblocks') for m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=CODE, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "BLOG_DEVICE": "cpu"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["cpu", "False"]


def test_engine_records_the_device_the_helper_picked(monkeypatch):
    monkeypatch.setattr(reproducible, "_device", "mps")
    monkeypatch.setitem(sys.modules, runtime.DEVICE_MODULE, reproducible)
    assert runtime._picked_device() == "mps"
    monkeypatch.delitem(sys.modules, runtime.DEVICE_MODULE)
    assert runtime._picked_device() is None
