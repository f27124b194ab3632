"""Tests of the experiment code in code/bnlab (importable as `bnlab`)."""

import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
CODE = Path(__file__).resolve().parents[3] / "code"
if str(CODE) not in sys.path:
    sys.path.insert(0, str(CODE))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)  # tiny networks run many times slower on two threads


@pytest.fixture(autouse=True)
def _close_figures():
    """The article's plots apply the blog style globally (bnlab.plots.use_style): put every
    rcParam back afterwards, so later tests in this process see matplotlib's own."""
    with matplotlib.rc_context():
        yield
    import matplotlib.pyplot as plt

    plt.close("all")
