"""Claim 4, internal covariate shift (ICS), measured as Santurkar et al. (2018) define it.

Definition 2.1: at step t, with mini-batch (x, y) and parameters W_1..W_k,

    G_i  = grad_{W_i} L(W_1, ..., W_k; x, y)
    G'_i = grad_{W_i} L(W_1 - lr*g_1, ..., W_{i-1} - lr*g_{i-1}, W_i, ..., W_k; x, y)

i.e. layer i's gradient before and after the layers below it take their SGD step on the
same batch. ICS_i = ||G_i - G'_i||_2; the cosine of the angle between G_i and G'_i says
whether the direction survives. If BN reduced ICS, BN networks would show smaller
distances and cosines closer to 1. We measure a standard, a BN and a noisy-BN MLP.
"""

from dataclasses import dataclass, field

import numpy as np
import torch

from . import data, plots
from .batched import BatchedMLP, fit
from .config import Profiles
from .paired import paired
from .probes import ICSProbe, LandscapeProbe, Probed, ShiftProbe

# Santurkar et al.'s three networks, their control (the same noise without BN) and their
# section 3.3's lp normalisations: name -> BatchedMLP norm
NETWORKS = {"standard": "none", "bn": "bn", "noisy": "noisy", "noise": "noise",
            "l1": "l1", "l2": "l2", "linf": "linf"}
SANTURKAR_NETWORKS = ("standard", "bn", "noisy")
NETWORK_LABEL = {"standard": "standard", "bn": "BN", "noisy": "noisy BN",
                 "noise": "noise, no BN", "l1": "ℓ1 norm", "l2": "ℓ2 norm", "linf": "ℓ∞ norm"}
SEEDS = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class ICSConfig(Profiles):
    width: int = 100
    depth: int = 6               # hidden layers -> 7 Linear layers, ICS for layers 2..7
    batch_size: int = 64
    lr: float = 0.1              # the same for every network, as in the paper
    init_gain: float = 1.0       # He initialisation, so the standard network trains too
    steps: int = 400
    every: int = 40              # ICS and landscape probes every ... steps
    eval_every: int = 50
    layer: int = 5               # which Linear layer (1-based) the figure follows
    # the landscape probe's step sizes, as multiples of lr: Santurkar's range for
    # nonlinear networks, [1/2, 4]
    eta_factors: tuple = (0.5, 1.0, 2.0, 3.0, 4.0)
    networks: tuple = tuple(NETWORKS)
    seeds: tuple = SEEDS

    @classmethod
    def full(cls):
        return cls(width=512, depth=10, steps=20_000, every=500, eval_every=500, layer=8,
                   seeds=tuple(range(10)))

    @classmethod
    def short(cls):
        return cls(steps=80, every=20, eval_every=40)


@dataclass
class ICSResult:
    config: ICSConfig
    steps: list = field(default_factory=list)       # probe steps
    eval_step: list = field(default_factory=list)
    l2: dict = field(default_factory=dict)          # net -> (seeds, probes, layers-1)
    cos: dict = field(default_factory=dict)         # net -> (seeds, probes, layers-1)
    norm: dict = field(default_factory=dict)        # net -> (seeds, probes, layers-1) ||G||
    test_acc: dict = field(default_factory=dict)    # net -> (seeds, evals)
    train_acc: dict = field(default_factory=dict)   # net -> (seeds, evals), eval mode
    # net -> (seeds,) training loss at the end (last 50 steps, in training mode: noisy BN
    # with its noise)
    train_loss: dict = field(default_factory=dict)
    shift_mean: dict = field(default_factory=dict)  # net -> (seeds,) per-step |d mean|
    shift_var: dict = field(default_factory=dict)   # net -> (seeds,) per-step |d var|
    landscape: dict = field(default_factory=dict)   # net -> probes.Probed

    def _col(self):
        return self.config.layer - 2  # arrays start at layer 2

    def seed_acc(self, net, which="test") -> np.ndarray:
        """(seeds,) final test (or training, eval mode) accuracy."""
        return (self.test_acc if which == "test" else self.train_acc)[net][:, -1]

    def seed_cos(self, net, layer_only=True) -> np.ndarray:
        """(seeds,) cosine averaged over probes (and layers unless `layer_only`)."""
        a = self.cos[net][..., self._col()] if layer_only else self.cos[net].mean(-1)
        return a.mean(1)

    def seed_rel(self, net) -> np.ndarray:
        """(seeds,) ||G - G'|| / ||G|| at the followed layer, averaged over probes."""
        c = self._col()
        return (self.l2[net][..., c] / self.norm[net][..., c]).mean(1)

    def train_vs(self, a, b):
        """Paired: b's final training accuracy against a's (the optimisation measure)."""
        return paired(self.seed_acc(a, "train"), self.seed_acc(b, "train"), "accuracy")

    def test_vs(self, a, b):
        return paired(self.seed_acc(a), self.seed_acc(b), "accuracy")

    def cos_vs(self, a, b):
        return paired(self.seed_cos(a), self.seed_cos(b), "cosine")


def run(config: ICSConfig, device="cpu") -> ICSResult:
    d = data.mnist1d(device)
    res = ICSResult(config)
    lr = torch.full((len(config.seeds),), config.lr, device=device)
    etas = lr[:, None] * torch.tensor(config.eta_factors, device=device)[None]
    for name in config.networks:
        net = BatchedMLP(config.seeds, d.n_features, d.n_classes, config.width,
                         config.depth, act="relu", norm=NETWORKS[name],
                         init_gain=config.init_gain, device=device)
        ics_probe = ICSProbe(config.every, lr)
        land = LandscapeProbe(config.every, etas)
        shift = ShiftProbe(config.layer - 2)   # the block whose output enters `layer`
        tr = fit(net, d, steps=config.steps, lr=lr, batch_size=config.batch_size,
                 eval_every=config.eval_every, callbacks=(ics_probe, land, shift))
        res.l2[name], res.cos[name], res.norm[name] = ics_probe.arrays()
        res.test_acc[name], res.train_acc[name] = tr.test_acc.T, tr.train_acc.T
        res.train_loss[name] = tr.final_loss()
        res.shift_mean[name], res.shift_var[name] = shift.arrays()
        res.landscape[name] = Probed(land.step, np.asarray(config.eta_factors) * config.lr,
                                     *land.arrays(), tr.final_loss(20))
        res.steps, res.eval_step = ics_probe.step, tr.eval_step
    return res


SHOWN = SANTURKAR_NETWORKS + ("noise",)


def plot(res: ICSResult) -> list:
    """Training accuracy, and the ICS distance and cosine at the followed layer, against
    the step: one figure each, for the three networks and the noise-only control."""
    col = res._col()
    panels = [("Training accuracy", "accuracy (eval mode)", res.eval_step,
               lambda n: res.train_acc[n], False),
              (f"ICS at layer {res.config.layer}: distance", r"$\Vert G - G'\Vert_2$",
               res.steps, lambda n: res.l2[n][..., col], True),
              (f"ICS at layer {res.config.layer}: cosine", r"$\cos(G, G')$", res.steps,
               lambda n: res.cos[n][..., col], False)]
    figs = []
    for title, ylabel, x, get, log in panels:
        fig, ax = plots.figure()
        for name in SHOWN:
            plots.band(ax, x, get(name), plots.COLOR[name], label=NETWORK_LABEL[name])
        ax.set(title=title, ylabel=ylabel, xlabel="training step")
        if log:
            ax.set_yscale("log")
            plots.log_ticks(ax)
        ax.xaxis.set_major_locator(plots.ticker.MaxNLocator(4))
        figs.append(fig)
    figs[0].axes[0].legend(loc="lower right")
    return figs
