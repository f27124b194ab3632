"""Claim 2, "BN trains faster": a replica of Ioffe & Szegedy (2015), Figure 1.

Their set-up: MNIST, 3 fully connected hidden layers of 100 sigmoid units, weights
initialised to small random Gaussian values, mini-batches of 60, SGD, with and without BN
before each sigmoid. They plot (a) test accuracy vs step and (b, c) the 15th, 50th and
85th percentiles of the input to one sigmoid of the last hidden layer over training.
We use MNIST-1D (40 inputs instead of 784) so it runs on a CPU in seconds, and add a
number for the "saturated regime": the fraction of sigmoid inputs with |z| > 3
(sigmoid'(3) = 0.045, under a fifth of its peak slope 0.25).
"""

from dataclasses import dataclass, field

import numpy as np
import torch

from . import data, plots
from .batched import BatchedMLP, fit
from .config import Profiles
from .paired import paired

VARIANTS = ("none", "before")  # BN placement: without BN, BN before each sigmoid
NORM = {"none": "none", "before": "bn"}
LABEL = {"none": "without BN", "before": "with BN"}
SHORT = {"none": "No BN", "before": "BN"}
PERCENTILES = (0.15, 0.5, 0.85)
SEEDS = (0, 1, 2, 3, 4)
FULL_SEEDS = tuple(range(10))


@dataclass(frozen=True)
class IoffeConfig(Profiles):
    width: int = 100           # as in the paper
    depth: int = 3             # hidden layers, as in the paper
    init_std: float = 0.05     # "small random Gaussian values"; 0.05 is our choice
    batch_size: int = 60       # as in the paper
    # The paper gives no learning rate. The network without BN is tuned on `lr_grid`
    # (best mean final test accuracy over the seeds); the figure shows both `lrs`.
    lr_grid: tuple = (0.5, 2.0, 8.0)  # 0.1 stayed at chance in every earlier run
    lrs: tuple = (0.5, 2.0)    # shown with probes, with and without BN
    steps: int = 2000          # the paper trains 50,000 steps on MNIST
    eval_every: int = 50       # score the test set and the training probe set every ...
    probe_every: int = 100     # record sigmoid inputs every ... steps
    saturation: float = 3.0    # |z| above this counts as saturated
    seeds: tuple = SEEDS

    @classmethod
    def full(cls):
        return cls(steps=50_000, eval_every=500, probe_every=1000, seeds=FULL_SEEDS)

    @classmethod
    def short(cls):
        return cls(steps=200, eval_every=50, probe_every=50)


@dataclass
class IoffeResult:
    config: IoffeConfig
    tuning_acc: dict = field(default_factory=dict)   # lr -> (seeds,) no-BN final test acc
    eval_step: list = field(default_factory=list)
    test: dict = field(default_factory=dict)         # (variant, lr) -> (seeds, evals)
    train: dict = field(default_factory=dict)        # (variant, lr) -> (seeds, evals)
    loss: dict = field(default_factory=dict)         # (variant, lr) -> (seeds,) final loss
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

    def acc(self, variant, lr, which="test") -> np.ndarray:
        """(seeds, evals) test (or training-probe) accuracy."""
        return (self.test if which == "test" else self.train)[(variant, lr)]

    def seed_acc(self, variant, lr, which="test") -> np.ndarray:
        return self.acc(variant, lr, which)[:, -1]

    def steps_to(self, variant, lr, target, which="train") -> np.ndarray:
        """(seeds,) first scored step with accuracy >= target (per seed when target is an
        array; nan: never)."""
        acc = self.acc(variant, lr, which)
        target = np.broadcast_to(np.asarray(target, float), acc.shape[:1])[:, None]
        ok = acc >= target
        steps = np.asarray(self.eval_step, float)
        return np.where(ok.any(1), steps[ok.argmax(1)], np.nan)

    def speedup(self, lr, which="train") -> np.ndarray:
        """(seeds,) Ioffe's measure: steps the network without BN needs to reach its own
        final accuracy, over the steps BN needs to reach it (same seed)."""
        target = self.seed_acc("none", lr, which)
        with np.errstate(invalid="ignore", divide="ignore"):  # nan: BN never got there
            return self.steps_to("none", lr, target, which) / self.steps_to("before", lr, target, which)

    def faster(self, lr, which="train"):
        """Paired: steps to the baseline's final accuracy, BN against no BN (log ratio)."""
        target = self.seed_acc("none", lr, which)
        return paired(self.steps_to("none", lr, target, which),
                      self.steps_to("before", lr, target, which), "log", lower_is_better=True,
                      log=True)

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
    """Every `every` steps: the inputs z of all sigmoids on a fixed probe set, for every
    run. Keeps the 15/50/85th percentiles of every unit of the last hidden layer and the
    fraction of all sigmoid inputs with |z| > threshold, on the device.

    BN normalises with the probe set's own statistics ("probe" mode: as in training, but
    the running averages are not touched; evaluation mode would use running averages,
    which lag behind early in training)."""

    def __init__(self, x_probe, every, threshold):
        self.x, self.every, self.threshold = x_probe, every, threshold
        self.step, self.pct, self.sat = [], [], []

    @torch.no_grad()
    def __call__(self, step, net, xb, yb):
        if step % self.every:
            return
        modes, net.record_modes = net.record_modes, {"probe"}
        net(self.x.expand(net.runs, *self.x.shape), "probe")
        net.record_modes = modes
        zs = net.pre                                              # depth x (R, n, units)
        q = torch.quantile(zs[-1], torch.tensor(PERCENTILES, device=zs[-1].device), dim=1)
        self.step.append(step)
        self.pct.append(q.permute(1, 0, 2))                       # (R, 3, units)
        self.sat.append(torch.stack([(z.abs() > self.threshold).float().mean((1, 2))
                                     for z in zs]).mean(0))        # (R,)


def _runs(config, d, variant, lrs, device, probe: bool):
    """Train `variant` at every lr in `lrs` for every seed, in one batch of runs."""
    seeds = [s for _ in lrs for s in config.seeds]
    lr = torch.tensor([l for l in lrs for _ in config.seeds], device=device)
    net = BatchedMLP(seeds, d.n_features, d.n_classes, config.width, config.depth,
                     act="sigmoid", norm=NORM[variant], init_std=config.init_std,
                     device=device)
    pr = SigmoidInputProbe(d.x_test, config.probe_every, config.saturation) if probe else None
    tr = fit(net, d, steps=config.steps, lr=lr, batch_size=config.batch_size,
             eval_every=config.eval_every, callbacks=(pr,) if pr else ())
    S = len(config.seeds)
    out = {}
    for k, l in enumerate(lrs):
        sl = slice(k * S, (k + 1) * S)
        div = tr.diverged[sl]
        out[l] = dict(test=np.where(div[:, None], np.nan, tr.test_acc[:, sl].T),
                      train=np.where(div[:, None], np.nan, tr.train_acc[:, sl].T), loss=tr.final_loss()[sl], div=div)
        if pr:
            out[l]["pct"] = torch.stack(pr.pct)[:, sl].transpose(0, 1).cpu().numpy()
            out[l]["sat"] = torch.stack(pr.sat)[:, sl].T.cpu().numpy()
    return tr.eval_step, (pr.step if pr else None), out


def run(config: IoffeConfig, device="cpu") -> IoffeResult:
    d = data.mnist1d(device)
    res = IoffeResult(config)
    # without BN: the tuning grid and the shown learning rates in one batch, probed
    grid = sorted(set(config.lr_grid) | set(config.lrs))
    res.eval_step, res.probe_step, none = _runs(config, d, "none", grid, device, probe=True)
    _, _, bn = _runs(config, d, "before", config.lrs, device, probe=True)
    for variant, out in (("none", none), ("before", bn)):
        for lr in config.lrs:
            o = out[lr]
            res.test[(variant, lr)], res.train[(variant, lr)] = o["test"], o["train"]
            res.loss[(variant, lr)] = o["loss"]
            res.percentiles[(variant, lr)], res.saturated[(variant, lr)] = o["pct"], o["sat"]
    for lr in config.lr_grid:
        res.tuning_acc[lr] = np.where(none[lr]["div"], np.nan, none[lr]["test"][:, -1])
    return res


def plot_accuracy(res: IoffeResult, which="train") -> list:
    """One figure per learning rate: accuracy against step, with and without BN (mean
    and the min and max over seeds)."""
    figs = []
    for lr in res.config.lrs:
        fig, ax = plots.figure()
        for v in VARIANTS:
            plots.band(ax, res.eval_step, res.acc(v, lr, which), plots.COLOR[v], label=LABEL[v])
        ax.set(title=f"lr {lr:g}", xlabel="training step", ylim=(0, 1),
               ylabel=f"{'training' if which == 'train' else 'test'} accuracy")
        ax.xaxis.set_major_locator(plots.ticker.MaxNLocator(4))
        ax.legend(loc="lower right")
        figs.append(fig)
    return figs


def plot_inputs(res: IoffeResult) -> list:
    """One figure per (variant, lr): the median input of every sigmoid of the last hidden
    layer over training (seed 0, one thin line per unit; the thick line is their mean),
    on a shared scale."""
    lo = min(res.percentiles[k][0, :, 1].min() for k in res.percentiles)
    hi = max(res.percentiles[k][0, :, 1].max() for k in res.percentiles)
    figs = []
    for v in VARIANTS:
        for lr in res.config.lrs:
            fig, ax = plots.figure()
            med = res.percentiles[(v, lr)][0, :, 1, :]          # (probes, units), seed 0
            ax.plot(res.probe_step, med, color=plots.COLOR[v], alpha=0.25, linewidth=0.6)
            ax.plot(res.probe_step, med.mean(-1), color="black", linewidth=1.8)
            ax.set(title=f"{SHORT[v]}, lr {lr:g}", ylim=(lo - 0.3, hi + 0.3),
                   xlabel="training step", ylabel="median $z$ per unit")
            ax.xaxis.set_major_locator(plots.ticker.MaxNLocator(4))
            figs.append(fig)
    return figs


def plot(res: IoffeResult) -> list:
    return plot_accuracy(res) + plot_inputs(res)
