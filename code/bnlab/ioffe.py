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


@dataclass(frozen=True)
class IoffeConfig(Profiles):
    width: int = 100           # as in the paper
    depth: int = 3             # hidden layers, as in the paper
    init_std: float = 0.05     # "small random Gaussian values"; 0.05 is our choice
    batch_size: int = 60       # as in the paper
    lr: float = 2.0            # best for the no-BN net among {0.1, 0.5, 2, 8} (our tuning)
    steps: int = 2000          # the paper trains 50,000 steps on MNIST
    eval_every: int = 100      # score the test set every ... steps
    probe_every: int = 50      # record sigmoid inputs every ... steps
    unit: int = 0              # which sigmoid of the last hidden layer to follow
    saturation: float = 3.0    # |z| above this counts as saturated
    seeds: tuple = (0, 1, 2)

    @classmethod
    def full(cls):
        return cls(steps=50_000, eval_every=1000, probe_every=500)


@dataclass
class IoffeResult:
    config: IoffeConfig
    history: dict = field(default_factory=dict)      # variant -> [History per seed]
    probe_step: list = field(default_factory=list)   # steps of the percentile probes
    percentiles: dict = field(default_factory=dict)  # variant -> (seeds, probes, 3) 15/50/85th
    saturated: dict = field(default_factory=dict)    # variant -> (seeds, probes) |z| > 3

    def acc(self, variant) -> np.ndarray:
        """(seeds, evals) test accuracy."""
        return np.array([h.test_acc for h in self.history[variant]])

    def final_acc(self, variant) -> float:
        return float(self.acc(variant)[:, -1].mean())

    def steps_to(self, variant, target: float) -> float:
        """Mean over seeds of the first evaluated step with test accuracy >= target
        (nan if some seed never gets there)."""
        steps = np.array(self.history[variant][0].eval_step)
        hit = []
        for a in self.acc(variant):
            ok = np.flatnonzero(a >= target)
            hit.append(steps[ok[0]] if len(ok) else np.nan)
        return float(np.mean(hit))

    def percentiles_at(self, variant, probe: int) -> np.ndarray:
        """(15th, 50th, 85th) percentile of the followed unit's input at probe index
        `probe` (0: start, -1: end), mean over seeds."""
        return self.percentiles[variant][:, probe].mean(0)

    def final_saturated(self, variant) -> float:
        return float(self.saturated[variant][:, -1].mean())

    def max_saturated(self, variant) -> float:
        """Largest saturated fraction seen at any probe (mean over seeds)."""
        return float(self.saturated[variant].mean(0).max())


class SigmoidInputProbe:
    """Every `every` steps: the inputs z of all sigmoids on a fixed probe set.
    Records the 15/50/85th percentiles of one unit of the last hidden layer, and the
    fraction of all sigmoid inputs with |z| > threshold.

    BN normalises with the probe set's own statistics (training mode, as in training),
    on a copy of the model so the real running statistics are not touched. (Evaluation
    mode would use running averages, which lag behind early in training.)"""

    def __init__(self, x_probe, every, unit, threshold):
        self.x, self.every, self.unit, self.threshold = x_probe, every, unit, threshold
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
        z_last = zs[-1][:, self.unit]                            # (probe examples,)
        q = torch.quantile(z_last, torch.tensor([0.15, 0.5, 0.85], device=z_last.device))
        z_all = torch.cat([z.flatten() for z in zs])             # every sigmoid input
        self.step.append(step)
        self.pct.append(q.cpu().numpy())
        self.sat.append((z_all.abs() > self.threshold).float().mean().item())


def run(config: IoffeConfig, device="cpu") -> IoffeResult:
    d = data.mnist1d(device)
    res = IoffeResult(config)
    for variant in VARIANTS:
        hists, pcts, sats = [], [], []
        for seed in config.seeds:
            set_seed(seed)
            model = mlp(d.n_features, d.n_classes, config.width, config.depth, act="sigmoid",
                        bn=variant, init_std=config.init_std).to(device)
            probe = SigmoidInputProbe(d.x_test, config.probe_every, config.unit, config.saturation)
            hists.append(train(model, d, steps=config.steps, lr=config.lr,
                               batch_size=config.batch_size, seed=seed,
                               eval_every=config.eval_every, callbacks=(probe,)))
            pcts.append(probe.pct)
            sats.append(probe.sat)
        res.history[variant] = hists
        res.percentiles[variant] = np.array(pcts)
        res.saturated[variant] = np.array(sats)
        res.probe_step = probe.step
    return res


def plot(res: IoffeResult):
    fig, ax = plots.subplots(1, 3)
    a = ax[0, 0]
    for v in VARIANTS:
        h = res.history[v][0]
        plots.band(a, h.eval_step, res.acc(v), plots.COLOR[v], label=LABEL[v])
    a.set(title="Test accuracy", xlabel="training step", ylabel="test accuracy (fraction)")
    a.legend(loc="lower right")
    lo = min(res.percentiles[v].min() for v in VARIANTS)
    hi = max(res.percentiles[v].max() for v in VARIANTS)
    for axis, v in zip(ax[0, 1:], VARIANTS):
        p = res.percentiles[v]  # (seeds, probes, 3)
        for k, (name, ls) in enumerate(zip(("15th", "50th", "85th"), ("--", "-", ":"))):
            for s in range(p.shape[0]):
                axis.plot(res.probe_step, p[s, :, k], ls, color=plots.COLOR[v], alpha=0.8,
                          label=f"{name} percentile" if s == 0 else None)
        axis.set(title=f"One sigmoid's input, {LABEL[v]}", xlabel="training step",
                 ylabel="sigmoid input z", ylim=(lo - 0.3, hi + 0.3))
        axis.legend(loc="best", fontsize=8)
    plots.label_panels(ax)
    return fig
