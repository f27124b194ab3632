"""Claim 3, "less sensitive to hyperparameters": a deeper ReLU MLP on MNIST-1D, trained
with and without BN over a sweep of learning rates (at He initialisation) and a sweep of
initialisation scales (at a fixed learning rate). A run that reaches a loss above
`diverge_above` or nan is stopped and marked as diverged.
"""

from dataclasses import dataclass, field

import numpy as np

import torch

from . import data, plots
from .batched import BatchedMLP, fit
from .config import Profiles
from .paired import paired

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
    seeds: tuple = (0, 1, 2, 3, 4)

    @classmethod
    def full(cls):
        return cls(width=256, depth=10, steps=3000,
                   lrs=tuple(np.logspace(-4, 1.5, 12).round(6)),
                   gains=tuple(np.logspace(-1.5, 1.5, 7).round(4)), seeds=tuple(range(10)))

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


    def seed_decades(self, sweep: Sweep) -> np.ndarray:
        """(seeds,) per seed: decades between the smallest and the largest swept value
        whose test accuracy is within `usable_within` of that seed's best."""
        out = []
        for acc in np.where(sweep.diverged, np.nan, sweep.acc):
            u = sweep.values[acc >= np.nanmax(acc) - self.config.usable_within]
            out.append(np.log10(u.max() / u.min()))
        return np.array(out)

    def seed_trained(self, sweep: Sweep) -> np.ndarray:
        """(seeds,) per seed: how many swept values trained (test accuracy above
        `trained_above`, not diverged)."""
        with np.errstate(invalid="ignore"):
            return (np.where(sweep.diverged, 0, sweep.acc) > self.config.trained_above).sum(1)

    def lr_window(self):
        """Paired: usable learning-rate window in decades, BN against no BN."""
        return paired(self.seed_decades(self.lr["none"]), self.seed_decades(self.lr["before"]),
                      "decades")

    def gains_trained(self):
        """Paired: initialisation scales that trained, BN against no BN."""
        return paired(self.seed_trained(self.gain["none"]),
                      self.seed_trained(self.gain["before"]), "count")


def _mean_acc(sweep: Sweep) -> np.ndarray:
    """Mean test accuracy over seeds; nan where any seed diverged."""
    return np.where(sweep.diverged.any(0), np.nan, sweep.acc.mean(0))


def _sweep(config, d, variant, lrs, gains, device) -> Sweep:
    """Every (value, seed) pair of one sweep as one batch of runs; `lrs` and `gains` are
    per-value sequences, one of them constant."""
    seeds = [s for _ in lrs for s in config.seeds]
    net = BatchedMLP(seeds, d.n_features, d.n_classes, config.width, config.depth,
                     act="relu", norm="none" if variant == "none" else "bn",
                     init_gain=[g for g in gains for _ in config.seeds], device=device)
    lr = torch.tensor([l for l in lrs for _ in config.seeds], device=device)
    tr = fit(net, d, steps=config.steps, lr=lr, batch_size=config.batch_size,
             eval_every=config.steps, diverge_above=config.diverge_above)
    V, S = len(lrs), len(config.seeds)
    shape = lambda a: np.asarray(a, float).reshape(V, S).T  # noqa: E731  (seeds, values)
    div = shape(tr.diverged).astype(bool)
    return Sweep(None, np.where(div, np.inf, shape(tr.final_loss(20))),
                 np.where(div, np.nan, shape(tr.test_acc[-1])), div)


def run(config: SensitivityConfig, device="cpu") -> SensitivityResult:
    d = data.mnist1d(device)
    res = SensitivityResult(config)
    for v in VARIANTS:
        s = _sweep(config, d, v, config.lrs, [1.0] * len(config.lrs), device)
        s.values = np.asarray(config.lrs, float)
        res.lr[v] = s
        s = _sweep(config, d, v, [config.lr_for_gains] * len(config.gains), config.gains, device)
        s.values = np.asarray(config.gains, float)
        res.gain[v] = s
    return res


def plot(res: SensitivityResult) -> list:
    """Final training loss and test accuracy against the learning rate (He
    initialisation), then against the initialisation scale (fixed lr): one figure each."""
    c = res.config
    figs = []
    for sweeps, xlabel, fixed in ((res.lr, "learning rate", "He init"),
                                  (res.gain, "init scale (× He std)", f"lr {c.lr_for_gains:g}")):
        for what in ("loss", "acc"):
            fig, ax = plots.figure()
            for v in VARIANTS:
                s, col = sweeps[v], plots.COLOR[v]
                ys = np.where(s.diverged, np.nan, s.loss) if what == "loss" else s.acc
                top = (3.3 if v == "none" else 3.1) if what == "loss" else (0.03 if v == "none" else 0.06)
                plots.seed_markers(ax, s.values, ys, col, label=LABEL[v], diverged=s.diverged,
                                   ceiling=top)
            if what == "loss":
                ax.axhline(np.log(10), color="0.5", linestyle=":", linewidth=1)
                ax.set(ylim=(0, 3.5), ylabel="final training loss", title=f"Loss, {fixed}")
            else:
                ax.axhline(0.1, color="0.5", linestyle=":", linewidth=1)
                ax.set(ylim=(0, None), ylabel="test accuracy", title=f"Accuracy, {fixed}")
            ax.set(xscale="log", xlabel=xlabel)
            ax.xaxis.set_major_locator(plots.ticker.LogLocator(numticks=5))
            figs.append(fig)
    plots.diverged_legend(figs[0].axes[0], loc="upper center", ncol=2, fontsize=8)
    return figs
