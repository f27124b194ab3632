"""Claim 7, before or after the activation: the same MLP on MNIST-1D with BN before the
activation (Linear -> BN -> act, as Ioffe & Szegedy propose), after it
(Linear -> act -> BN, as the post suggests), or not at all; for ReLU and for sigmoid
units. Same learning rate and batches for every variant. The ReLU networks start from
He initialisation (PyTorch's default is scaled for neither activation and handicaps the
ReLU network without BN); the sigmoid networks keep PyTorch's default. Reported: final
test accuracy and final training loss, the latter being what BN's placement should change.
"""

from dataclasses import dataclass, field

import numpy as np
import torch

from . import data, plots
from .batched import BatchedMLP, fit
from .config import Profiles
from .models import PLACEMENTS
from .paired import paired

LABEL = {"none": "no BN", "before": "BN before activation", "after": "BN after activation"}
ACTS = ("relu", "sigmoid")
ACT_NAME = {"relu": "ReLU", "sigmoid": "Sigmoid"}


@dataclass(frozen=True)
class PlacementConfig(Profiles):
    width: int = 64          # 100 in earlier versions: 64 keeps 3 lrs x 5 seeds in budget
    depth: int = 4           # hidden layers
    batch_size: int = 64
    lrs: tuple = (0.03, 0.1, 0.3)  # every network at each of these (0.1: SGD's common default)
    steps: int = 800
    eval_every: int = 100
    relu_init_gain: float | None = 1.0  # ReLU weights ~ N(0, gain^2 2/fan_in): 1.0 is He;
    # None: PyTorch's default. The sigmoid networks always keep PyTorch's default.
    seeds: tuple = (0, 1, 2, 3, 4)

    @classmethod
    def full(cls):
        return cls(width=256, depth=8, steps=20_000, eval_every=500, seeds=tuple(range(10)))

    @classmethod
    def short(cls):
        return cls(steps=200, eval_every=50)


@dataclass
class PlacementResult:
    config: PlacementConfig
    eval_step: list = field(default_factory=list)
    acc: dict = field(default_factory=dict)     # (act, placement, lr) -> (seeds, evals) test
    train_acc: dict = field(default_factory=dict)  # (act, placement, lr) -> (seeds, evals)
    loss: dict = field(default_factory=dict)    # (act, placement, lr) -> (seeds,) final loss

    def seed_acc(self, act, placement, lr, which="test") -> np.ndarray:
        return (self.acc if which == "test" else self.train_acc)[(act, placement, lr)][:, -1]

    def seed_loss(self, act, placement, lr) -> np.ndarray:
        """(seeds,) final training loss (mean of the last 50 mini-batches)."""
        return self.loss[(act, placement, lr)]

    def after_vs_before(self, act, lr, measure="loss"):
        """Paired: BN after the activation against BN before it; "loss" (training loss,
        the optimisation measure) or "test" (test accuracy, generalisation)."""
        if measure == "loss":
            return paired(self.seed_loss(act, "before", lr), self.seed_loss(act, "after", lr),
                          "loss", lower_is_better=True)
        return paired(self.seed_acc(act, "before", lr), self.seed_acc(act, "after", lr),
                      "accuracy")

    def verdict(self, act, measure="loss") -> str:
        """Over the learning rates: "better"/"worse" when every lr agrees, "level" when
        every lr is level, else "mixed"."""
        v = {self.after_vs_before(act, lr, measure).verdict for lr in self.config.lrs}
        return v.pop() if len(v) == 1 else "mixed"


def run(config: PlacementConfig, device="cpu") -> PlacementResult:
    d = data.mnist1d(device)
    res = PlacementResult(config)
    S = len(config.seeds)
    lr = torch.tensor([l for l in config.lrs for _ in config.seeds], device=device)
    for act in ACTS:
        for placement in PLACEMENTS:
            net = BatchedMLP([s for _ in config.lrs for s in config.seeds], d.n_features,
                             d.n_classes, config.width, config.depth, act=act,
                             norm="none" if placement == "none" else "bn",
                             place="after" if placement == "after" else "before",
                             init_gain=config.relu_init_gain if act == "relu" else None,
                             device=device)
            tr = fit(net, d, steps=config.steps, lr=lr, batch_size=config.batch_size,
                     eval_every=config.eval_every)
            final = tr.final_loss()
            for k, l in enumerate(config.lrs):
                sl = slice(k * S, (k + 1) * S)
                res.acc[(act, placement, l)] = tr.test_acc[:, sl].T
                res.train_acc[(act, placement, l)] = tr.train_acc[:, sl].T
                res.loss[(act, placement, l)] = final[sl]
            res.eval_step = tr.eval_step
    return res


def plot(res: PlacementResult) -> list:
    """Per activation: final training loss, then final test accuracy, against the
    learning rate; every seed a hollow marker (seed k: marker k), the mean a line."""
    figs = []
    lrs = np.asarray(res.config.lrs)
    for what, ylabel in (("loss", "final training loss (nats)"), ("test", "final test accuracy")):
        for act in ACTS:
            fig, ax = plots.figure()
            for k, p in enumerate(PLACEMENTS):
                get = (lambda l: res.seed_loss(act, p, l)) if what == "loss" else \
                    (lambda l: res.seed_acc(act, p, l))
                ys = np.array([get(l) for l in lrs]).T            # (seeds, lrs)
                shift = 1.0 + 0.04 * (k - 1)                      # keep markers apart
                plots.seed_markers(ax, lrs * shift, ys, plots.COLOR[p], label=LABEL[p])
            ax.set(xscale="log", title=f"{ACT_NAME[act]}: {'training loss' if what == 'loss' else 'test accuracy'}",
                   xlabel="learning rate", ylabel=ylabel, xticks=lrs)
            ax.xaxis.set_major_formatter(plots.ticker.FormatStrFormatter("%g"))
            ax.xaxis.set_minor_formatter(plots.ticker.NullFormatter())
            figs.append(fig)
    figs[0].axes[0].legend(loc="best")
    return figs
