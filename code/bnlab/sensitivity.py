"""Claim 3, "less sensitive to hyperparameters": a deeper ReLU MLP on MNIST-1D, trained
with and without BN over a sweep of learning rates (at He initialisation) and a sweep of
initialisation scales (at a fixed learning rate). A run that reaches a loss above
`diverge_above` or nan is stopped and marked as diverged.
"""

from dataclasses import dataclass, field

import numpy as np

from . import data, plots
from .config import Profiles
from .models import mlp
from .train import set_seed, train

VARIANTS = ("none", "before")
LABEL = {"none": "without BN", "before": "with BN"}


@dataclass(frozen=True)
class SensitivityConfig(Profiles):
    width: int = 64
    depth: int = 6                          # hidden layers
    batch_size: int = 64
    steps: int = 150                        # per run; the sweep has 2 x (9 + 5) x 3 runs
    lrs: tuple = tuple(np.logspace(-3, 1, 9).round(6))  # 0.001 .. 10, half decades
    gains: tuple = (0.1, 0.316, 1.0, 3.16, 10.0)         # init std = gain x He std
    lr_for_gains: float = 0.03              # lr used in the initialisation sweep
    diverge_above: float = 100.0            # cross-entropy starts at ln 10 = 2.3
    usable_within: float = 0.05             # "usable": test acc within 5 points of the best
    trained_above: float = 0.15             # "learned something": mean test acc above this
    seeds: tuple = (0, 1, 2)

    @classmethod
    def full(cls):
        return cls(width=256, depth=10, steps=3000,
                   lrs=tuple(np.logspace(-4, 1.5, 12).round(6)),
                   gains=tuple(np.logspace(-1.5, 1.5, 7).round(4)))

    @classmethod
    def short(cls):
        return cls(steps=30)


@dataclass
class Sweep:
    """One sweep of one network: values x seeds."""

    values: np.ndarray        # the swept lr or gain
    loss: np.ndarray          # (seeds, values) final training loss, inf if diverged
    acc: np.ndarray           # (seeds, values) final test accuracy (nan if diverged)
    diverged: np.ndarray      # (seeds, values) bool


@dataclass
class SensitivityResult:
    config: SensitivityConfig
    lr: dict = field(default_factory=dict)    # variant -> Sweep over learning rates
    gain: dict = field(default_factory=dict)  # variant -> Sweep over init scales

    def usable(self, sweep: Sweep) -> np.ndarray:
        """Swept values where no seed diverged and the mean test accuracy is within
        `usable_within` of this network's best mean accuracy in the sweep: the width of
        its plateau, which is what "sensitive to a hyperparameter" means."""
        acc = _mean_acc(sweep)
        with np.errstate(invalid="ignore"):
            return sweep.values[acc >= np.nanmax(acc) - self.config.usable_within]

    def best_acc(self, sweep: Sweep) -> float:
        return float(np.nanmax(_mean_acc(sweep)))

    def n_trained(self, sweep: Sweep) -> int:
        """How many swept values trained: no seed diverged, mean test accuracy above
        `trained_above` (chance is 0.10)."""
        with np.errstate(invalid="ignore"):
            return int((_mean_acc(sweep) > self.config.trained_above).sum())

    def lr_decades(self) -> float:
        """Width of the learning-rate sweep in decades."""
        return float(np.log10(max(self.config.lrs) / min(self.config.lrs)))

    def max_stable(self, sweep: Sweep) -> float:
        """Largest swept value at which no seed diverged."""
        return float(sweep.values[~sweep.diverged.any(0)].max())

    def decades(self, sweep: Sweep) -> float:
        """Width of the usable range in decades (log10 max/min); 0 for a single value."""
        u = self.usable(sweep)
        return float(np.log10(u.max() / u.min())) if len(u) else float("nan")

    def n_diverged(self, sweep: Sweep) -> int:
        """How many of the swept values diverged for at least one seed."""
        return int(sweep.diverged.any(0).sum())


def _mean_acc(sweep: Sweep) -> np.ndarray:
    """Mean test accuracy over seeds; nan where any seed diverged."""
    return np.where(sweep.diverged.any(0), np.nan, sweep.acc.mean(0))


def _one(config, d, variant, seed, lr, gain, device):
    set_seed(seed)
    model = mlp(d.n_features, d.n_classes, config.width, config.depth, act="relu",
                bn=variant, init_gain=gain).to(device)
    h = train(model, d, steps=config.steps, lr=lr, batch_size=config.batch_size, seed=seed,
              eval_every=config.steps, diverge_above=config.diverge_above)
    if h.diverged:
        return np.inf, np.nan, True
    return h.final_loss(last=20), h.final_acc, False


def _sweep(config, d, variant, values, make, device):
    out = np.array([[_one(config, d, variant, seed, *make(v), device) for v in values]
                    for seed in config.seeds], dtype=float)  # (seeds, values, 3)
    return Sweep(np.asarray(values, float), out[..., 0], out[..., 1], out[..., 2].astype(bool))


def run(config: SensitivityConfig, device="cpu") -> SensitivityResult:
    d = data.mnist1d(device)
    res = SensitivityResult(config)
    for v in VARIANTS:
        res.lr[v] = _sweep(config, d, v, config.lrs, lambda lr: (lr, 1.0), device)
        res.gain[v] = _sweep(config, d, v, config.gains,
                             lambda g: (config.lr_for_gains, g), device)
    return res


def plot(res: SensitivityResult):
    fig, ax = plots.subplots(2, 2)
    c = res.config
    rows = [(res.lr, "learning rate", "He init"),
            (res.gain, "init scale (× He std)", f"lr {c.lr_for_gains:g}")]
    for r, (sweeps, xlabel, fixed) in enumerate(rows):
        for v in VARIANTS:
            s, col = sweeps[v], plots.COLOR[v]
            plots.seed_markers(ax[r, 0], s.values, np.where(s.diverged, np.nan, s.loss), col,
                               label=LABEL[v], diverged=s.diverged,
                               ceiling=3.3 if v == "none" else 3.1)
            plots.seed_markers(ax[r, 1], s.values, s.acc, col, label=LABEL[v],
                               diverged=s.diverged, ceiling=0.03 if v == "none" else 0.06)
        ax[r, 0].set(xscale="log", ylim=(0, 3.5), xlabel=xlabel,
                     ylabel="final train loss",
                     title=f"Loss, {fixed}")
        ax[r, 0].axhline(np.log(10), color="0.5", linestyle=":", linewidth=1)
        ax[r, 1].set(xscale="log", ylim=(0, None), xlabel=xlabel,
                     ylabel="test accuracy",
                     title=f"Accuracy, {fixed}")
        ax[r, 1].axhline(0.1, color="0.5", linestyle=":", linewidth=1)
    for axis in ax.ravel():
        axis.xaxis.set_major_locator(plots.ticker.LogLocator(numticks=4))
    plots.diverged_legend(ax[0, 0], where=fig, loc="outside lower center", ncol=3)
    plots.label_panels(ax)
    return fig
