"""Claim 2, "BN trains faster": a replica of Ioffe & Szegedy (2015), Figure 1.

Their set-up: MNIST, 3 fully connected hidden layers of 100 sigmoid units, weights
initialised to small random Gaussian values, mini-batches of 60, SGD, with and without BN
before each sigmoid. They plot (a) test accuracy vs step and (b, c) the 15th, 50th and
85th percentiles of the input to one sigmoid of the last hidden layer over training.
We use MNIST-1D (40 inputs instead of 784) so it runs on a CPU in seconds, and add a
number for the "saturated regime": the fraction of sigmoid inputs with |z| > 3
(sigmoid'(3) = 0.045, under a fifth of its peak slope 0.25).
"""

import copy
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from . import data, plots
from .config import Profiles
from .models import mlp
from .train import set_seed, train

VARIANTS = ("none", "before")  # BN placement: without BN, BN before each sigmoid
LABEL = {"none": "without BN", "before": "with BN"}
SHORT = {"none": "No BN", "before": "BN"}
PERCENTILES = (0.15, 0.5, 0.85)


@dataclass(frozen=True)
class IoffeConfig(Profiles):
    width: int = 100           # as in the paper
    depth: int = 3             # hidden layers, as in the paper
    init_std: float = 0.05     # "small random Gaussian values"; 0.05 is our choice
    batch_size: int = 60       # as in the paper
    # The paper gives no learning rate. The network without BN is tuned on `lr_grid`
    # (best mean final test accuracy over the seeds); the figure shows both `lrs`.
    lr_grid: tuple = (0.1, 0.5, 2.0, 8.0)
    lrs: tuple = (0.5, 2.0)    # shown with probes, with and without BN
    steps: int = 2000          # the paper trains 50,000 steps on MNIST
    eval_every: int = 100      # score the test set every ... steps
    probe_every: int = 100     # record sigmoid inputs every ... steps
    saturation: float = 3.0    # |z| above this counts as saturated
    seeds: tuple = (0, 1, 2)

    @classmethod
    def full(cls):
        return cls(steps=50_000, eval_every=1000, probe_every=1000)

    @classmethod
    def short(cls):
        return cls(steps=200, eval_every=50, probe_every=50)


@dataclass
class IoffeResult:
    config: IoffeConfig
    tuning_acc: dict = field(default_factory=dict)   # lr -> (seeds,) no-BN final test acc
    history: dict = field(default_factory=dict)      # (variant, lr) -> [History per seed]
    probe_step: list = field(default_factory=list)   # steps of the percentile probes
    # (variant, lr) -> (seeds, probes, 3, units): 15/50/85th percentile of each sigmoid
    # input of the last hidden layer over the test set
    percentiles: dict = field(default_factory=dict)
    saturated: dict = field(default_factory=dict)    # (variant, lr) -> (seeds, probes)

    @property
    def tuned_lr(self) -> float:
        """The grid's learning rate at which the network without BN did best."""
        score = {lr: a.mean() for lr, a in self.tuning_acc.items()}   # nan: some seed diverged
        return max(score, key=lambda lr: -np.inf if np.isnan(score[lr]) else score[lr])

    def acc(self, variant, lr) -> np.ndarray:
        """(seeds, evals) test accuracy."""
        return np.array([h.test_acc for h in self.history[(variant, lr)]])

    def seed_acc(self, variant, lr) -> np.ndarray:
        return self.acc(variant, lr)[:, -1]

    def steps_to(self, variant, lr, target: float) -> np.ndarray:
        """(seeds,) first evaluated step with test accuracy >= target (nan: never)."""
        steps = np.array(self.history[(variant, lr)][0].eval_step)
        hit = []
        for a in self.acc(variant, lr):
            ok = np.flatnonzero(a >= target)
            hit.append(steps[ok[0]] if len(ok) else np.nan)
        return np.array(hit, dtype=float)

    def unit_percentiles(self, variant, lr, probe: int) -> np.ndarray:
        """(seeds, 3) 15/50/85th percentile at probe index `probe` (0: start, -1: end),
        averaged over the last layer's units."""
        return self.percentiles[(variant, lr)][:, probe].mean(-1)

    def drift(self, variant, lr) -> np.ndarray:
        """(seeds,) how far the input distribution of the last layer's sigmoids moves:
        for every unit, the standard deviation over the probes of its median input,
        averaged over all units (sigmoid-input units)."""
        med = self.percentiles[(variant, lr)][:, :, 1, :]      # (seeds, probes, units)
        return med.std(1).mean(-1)

    def seed_saturated(self, variant, lr, probe: int = -1) -> np.ndarray:
        """(seeds,) fraction of all sigmoid inputs with |z| > saturation."""
        return self.saturated[(variant, lr)][:, probe]


class SigmoidInputProbe:
    """Every `every` steps: the inputs z of all sigmoids on a fixed probe set.
    Records the 15/50/85th percentiles of every unit of the last hidden layer, and the
    fraction of all sigmoid inputs with |z| > threshold.

    BN normalises with the probe set's own statistics (training mode, as in training),
    on a copy of the model so the real running statistics are not touched. (Evaluation
    mode would use running averages, which lag behind early in training.)"""

    def __init__(self, x_probe, every, threshold):
        self.x, self.every, self.threshold = x_probe, every, threshold
        self.step, self.pct, self.sat = [], [], []

    @torch.no_grad()
    def __call__(self, step, model, xb, yb):
        if step % self.every:
            return
        net = copy.deepcopy(model).train()
        zs = []
        for m in net:
            if isinstance(m, nn.Sigmoid):
                m.register_forward_hook(lambda m, inp, out: zs.append(inp[0]))
        net(self.x)
        q = torch.quantile(zs[-1], torch.tensor(PERCENTILES, device=zs[-1].device), dim=0)
        z_all = torch.cat([z.flatten() for z in zs])             # every sigmoid input
        self.step.append(step)
        self.pct.append(q.cpu().numpy())                         # (3, units)
        self.sat.append((z_all.abs() > self.threshold).float().mean().item())


def _final_acc(h) -> float:
    """Final test accuracy; nan for a run that diverged."""
    return np.nan if h.diverged else h.test_acc[-1]


def _train(config, d, variant, lr, seed, device, probe=None):
    set_seed(seed)
    model = mlp(d.n_features, d.n_classes, config.width, config.depth, act="sigmoid",
                bn=variant, init_std=config.init_std).to(device)
    return train(model, d, steps=config.steps, lr=lr, batch_size=config.batch_size,
                 seed=seed, eval_every=config.eval_every,
                 callbacks=(probe,) if probe else ())


def run(config: IoffeConfig, device="cpu") -> IoffeResult:
    d = data.mnist1d(device)
    res = IoffeResult(config)
    for lr in config.lrs:                    # shown: both networks, with probes
        for variant in VARIANTS:
            hists, pcts, sats = [], [], []
            for seed in config.seeds:
                probe = SigmoidInputProbe(d.x_test, config.probe_every, config.saturation)
                hists.append(_train(config, d, variant, lr, seed, device, probe))
                pcts.append(probe.pct)
                sats.append(probe.sat)
            res.history[(variant, lr)] = hists
            res.percentiles[(variant, lr)] = np.array(pcts)
            res.saturated[(variant, lr)] = np.array(sats)
            res.probe_step = probe.step
    for lr in config.lr_grid:                # the tuning: network without BN only
        if lr in config.lrs:                 # already trained above (probes change nothing)
            res.tuning_acc[lr] = res.seed_acc("none", lr)
        else:
            res.tuning_acc[lr] = np.array(
                [_final_acc(_train(config, d, "none", lr, seed, device))
                 for seed in config.seeds])
    return res


def plot(res: IoffeResult):
    """Columns: the learning rates. Top: test accuracy. Below: the median input of every
    sigmoid of the last hidden layer over training (seed 0, one thin line per unit; the
    thick line is their mean), without and with BN, on a shared scale."""
    lrs = res.config.lrs
    fig, ax = plots.subplots(3, len(lrs), sharex=True)
    lo = min(res.percentiles[k][0, :, 1].min() for k in res.percentiles)
    hi = max(res.percentiles[k][0, :, 1].max() for k in res.percentiles)
    for col, lr in enumerate(lrs):
        a = ax[0, col]
        for v in VARIANTS:
            plots.band(a, res.history[(v, lr)][0].eval_step, res.acc(v, lr), plots.COLOR[v],
                       label=LABEL[v])
        a.set(title=f"Accuracy, lr {lr:g}", ylim=(0, None))
        for row, v in enumerate(VARIANTS, start=1):
            axis = ax[row, col]
            med = res.percentiles[(v, lr)][0, :, 1, :]          # (probes, units), seed 0
            axis.plot(res.probe_step, med, color=plots.COLOR[v], alpha=0.15, linewidth=0.6)
            axis.plot(res.probe_step, med.mean(-1), color="black", linewidth=1.6)
            axis.set(title=f"{SHORT[v]}, lr {lr:g}", ylim=(lo - 0.3, hi + 0.3))
    for row, ylabel in enumerate(("test accuracy", "median $z$ per unit", "median $z$ per unit")):
        ax[row, 0].set_ylabel(ylabel)
    for axis in ax[-1]:
        axis.set_xlabel("training step")
    for axis in ax.ravel():
        axis.xaxis.set_major_locator(plots.ticker.MaxNLocator(3))
    ax[0, 0].legend(loc="lower right")
    plots.label_panels(ax)
    return fig
