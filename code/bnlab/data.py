"""Data sets, all offline: MNIST-1D generated in memory, scikit-learn's bundled wine.

Nothing is downloaded and nothing is written to disk.
"""

import random
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch


@dataclass
class Split:
    """A classification data set on one device. x: (n, d) float32, y: (n,) int64."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]

    @property
    def n_classes(self) -> int:
        return int(self.y_train.max()) + 1


@lru_cache(maxsize=2)
def _mnist1d_arrays(seed: int, num_samples: int):
    # make_dataset builds MNIST-1D from its 10 templates; get_dataset would try to
    # download a pickle first, so we never call it. make_dataset reseeds numpy's and
    # Python's global RNGs: put them back afterwards so callers see no side effect.
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()  # the paper's defaults: 40 features, 10 classes, 80/20 split
    args.seed, args.num_samples = seed, num_samples
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        d = make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return d["x"], d["y"], d["x_test"], d["y_test"]


def mnist1d(device="cpu", seed: int = 42, num_samples: int = 5000) -> Split:
    """MNIST-1D (Greydanus 2020): 40-sample 1-D signals of 10 digits, already standardised.

    Defaults give 4,000 training and 1,000 test examples (seed 42 is the library's).
    """
    x, y, xt, yt = _mnist1d_arrays(seed, num_samples)
    f = lambda a: torch.as_tensor(a, dtype=torch.float32, device=device)  # noqa: E731
    i = lambda a: torch.as_tensor(a, dtype=torch.int64, device=device)  # noqa: E731
    return Split(f(x), i(y), f(xt), i(yt))


def wine() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """UCI wine: 178 wines x 13 chemical measurements, 3 cultivars. Feature scales
    range from ~0.1 (hue) to ~1000 (proline). Returns (X float64, y int, feature names)."""
    from sklearn.datasets import load_wine

    d = load_wine()
    return d.data, d.target, list(d.feature_names)
