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

from . import data, plots
from .config import Profiles
from .models import PLACEMENTS, mlp
from .train import set_seed, train

LABEL = {"none": "no BN", "before": "BN before activation", "after": "BN after activation"}
ACTS = ("relu", "sigmoid")
ACT_NAME = {"relu": "ReLU", "sigmoid": "Sigmoid"}


@dataclass(frozen=True)
class PlacementConfig(Profiles):
    width: int = 100
    depth: int = 4           # hidden layers
    batch_size: int = 64
    lr: float = 0.1          # one lr for all six networks (a common default for SGD)
    steps: int = 1500
    eval_every: int = 250
    relu_init_gain: float | None = 1.0  # ReLU weights ~ N(0, gain^2 2/fan_in): 1.0 is He;
    # None: PyTorch's default. The sigmoid networks always keep PyTorch's default.
    seeds: tuple = (0, 1, 2)

    @classmethod
    def full(cls):
        return cls(width=256, depth=8, steps=20_000, eval_every=500)

    @classmethod
    def short(cls):
        return cls(steps=200, eval_every=50)


@dataclass
class PlacementResult:
    config: PlacementConfig
    eval_step: list = field(default_factory=list)
    acc: dict = field(default_factory=dict)     # (act, placement) -> (seeds, evals)
    loss: dict = field(default_factory=dict)    # (act, placement) -> (seeds,) final train loss

    def final_acc(self, act, placement) -> float:
        return float(self.acc[(act, placement)][:, -1].mean())

    def final_acc_spread(self, act, placement) -> float:
        a = self.acc[(act, placement)][:, -1]
        return float(a.max() - a.min())

    def seed_acc(self, act, placement) -> np.ndarray:
        return self.acc[(act, placement)][:, -1]

    def seed_loss(self, act, placement) -> np.ndarray:
        """(seeds,) final training loss (mean of the last 50 mini-batches)."""
        return self.loss[(act, placement)]

    def best(self, act) -> str:
        return max(PLACEMENTS, key=lambda p: self.final_acc(act, p))


def run(config: PlacementConfig, device="cpu") -> PlacementResult:
    d = data.mnist1d(device)
    res = PlacementResult(config)
    for act in ACTS:
        for placement in PLACEMENTS:
            accs, losses = [], []
            for seed in config.seeds:
                set_seed(seed)
                model = mlp(d.n_features, d.n_classes, config.width, config.depth, act=act,
                            bn=placement,
                            init_gain=config.relu_init_gain if act == "relu" else None
                            ).to(device)
                h = train(model, d, steps=config.steps, lr=config.lr,
                          batch_size=config.batch_size, seed=seed, eval_every=config.eval_every)
                accs.append(h.test_acc)
                losses.append(h.final_loss())
            res.acc[(act, placement)] = np.array(accs)
            res.loss[(act, placement)] = np.array(losses)
            res.eval_step = h.eval_step
    return res


def plot(res: PlacementResult):
    """Top row: test accuracy over training. Bottom row: final training loss, one
    marker per seed (seed k: marker k)."""
    fig, ax = plots.subplots(2, 2)
    for col, act in enumerate(ACTS):
        top, bottom = ax[0, col], ax[1, col]
        for i, p in enumerate(PLACEMENTS):
            color = plots.COLOR[p]
            plots.band(top, res.eval_step, res.acc[(act, p)], color, label=LABEL[p])
            for s, loss in enumerate(res.loss[(act, p)]):
                bottom.plot(i, loss, plots.SEED_MARKERS[s], color=color,
                            markerfacecolor="none", markersize=6)
        top.set(title=f"{ACT_NAME[act]}: test acc.", xlabel="training step", ylim=(0, None))
        top.xaxis.set_major_locator(plots.ticker.MaxNLocator(3))
        bottom.set(title=f"{ACT_NAME[act]}: final train loss", xticks=range(3),
                   xlim=(-0.5, 2.5), ylim=(0, None))
        bottom.set_xticklabels(["none", "before", "after"])
        bottom.set_xlabel("BN placement")
    ax[0, 0].set(ylabel="fraction correct")
    ax[1, 0].set(ylabel="loss (nats)")
    fig.legend(*ax[0, 0].get_legend_handles_labels(), loc="outside lower center", ncol=2)
    plots.label_panels(ax)
    return fig
