"""Claim 5, smoothness: what the loss and its gradient do along the gradient direction
(Santurkar et al. 2018, Section 3.1 and Fig. 4). At a training step with parameters w,
gradient g and mini-batch (x, y), for step sizes eta in a range:

    loss landscape           L(w - eta g)                     its range over eta
    gradient predictiveness  ||grad L(w - eta g) - g||        how far the gradient moves
    effective beta-smoothness  max_eta ||grad L(w - eta g) - g|| / ||eta g||

A smoother landscape (small range, small gradient change, small beta) lets an optimiser
take larger steps and trust the gradient. Measured for the standard, BN and noisy-BN MLPs
and for Santurkar's 25-layer deep linear network (DLN) with and without BN. The DLN
follows their protocol: full-batch gradient descent on Gaussian inputs x with targets
y = A x for a standard Gaussian A, step sizes from 1/100 to 30 times the learning rate;
its internal covariate shift (ics.py, Def. 2.1) is measured in the same runs.
"""

from dataclasses import dataclass, field

import numpy as np
import torch

from . import data, plots
from .batched import BatchedMLP, fit, mse
from .config import Profiles
from .ics import NETWORK_LABEL
from .paired import paired
from .probes import ICSProbe, LandscapeProbe, Probed

DLN_NETWORKS = ("standard", "bn")


def linear_task(seed, width=10, n_train=1000, n_test=200, a_std=1.0, device="cpu") -> data.Split:
    """Regression to a random linear map: x ~ N(0, I), y = A x, A_ij ~ N(0, a_std^2)
    (a_std = 1: a standard Gaussian matrix)."""
    g = torch.Generator().manual_seed(10_000 + seed)
    A = torch.randn(width, width, generator=g) * a_std
    x = torch.randn(n_train + n_test, width, generator=g)
    y = x @ A.T
    s = lambda t: t.to(device)  # noqa: E731
    return data.Split(s(x[:n_train]), s(y[:n_train]), s(x[n_train:]), s(y[n_train:]))


def deep_linear(seeds, depth=25, width=10, bn=False, device="cpu") -> BatchedMLP:
    """Santurkar's DLN, one per seed: `depth` bias-free width x width linear layers, BN
    after each but the last when bn=True; weights ~ N(0, 1/width) keep the signal's scale
    on average. Seeded from `seeds` alone (not torch's global generator)."""
    return BatchedMLP(seeds, width, width, width, depth - 1, act="linear",
                      norm="bn" if bn else "none", bias=False, init_std=width ** -0.5,
                      device=device)


@dataclass(frozen=True)
class SmoothnessConfig(Profiles):
    # the deep linear network, Santurkar's protocol: full-batch gradient descent
    dln_depth: int = 25
    dln_width: int = 10
    dln_n_train: int = 1000       # Gaussian inputs; targets y = A x, A standard Gaussian
    # both of Santurkar's learning rates, in this loss's scale (0.1 diverges without BN)
    dln_lrs: tuple = (0.01, 0.001)
    dln_steps: int = 300
    dln_every: int = 50
    ics_layers: tuple = (9, 17)   # the layers Santurkar et al. show
    # the probe: step sizes as multiples of the training lr (the paper's 1/100 to 30 for
    # the DLN; the MLPs use [1/2, 4], see ics.ICSConfig)
    eta_factors: tuple = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
    seeds: tuple = (0, 1, 2, 3, 4)

    @classmethod
    def full(cls):
        return cls(dln_steps=10_000, dln_every=500, seeds=tuple(range(10)),
                   eta_factors=tuple(np.geomspace(0.01, 30.0, 16).round(4)))

    @classmethod
    def short(cls):
        return cls(dln_steps=60, dln_every=20)


@dataclass
class DLNRun:
    """One DLN (with or without BN) at one learning rate, over seeds."""

    landscape: Probed
    layers: tuple         # the 1-based layers whose ICS was measured
    ics_cos: np.ndarray   # (seeds, probes, len(layers)) ICS cosine
    ics_rel: np.ndarray   # (seeds, probes, len(layers)) ||G - G'|| / ||G||
    diverged: np.ndarray  # (seeds,) bool

    def seed_ics(self, layer, what="cos") -> np.ndarray:
        """(seeds,) ICS at `layer` (1-based), averaged over probes."""
        a = self.ics_cos if what == "cos" else self.ics_rel
        return a[..., self.layers.index(layer)].mean(1)


@dataclass
class SmoothnessResult:
    config: SmoothnessConfig
    mlp: dict = field(default_factory=dict)  # network -> Probed (from the ICS runs)
    dln: dict = field(default_factory=dict)  # (network, lr) -> DLNRun

    def dln_vs(self, lr, what="grad", layer=None):
        """Paired, BN against standard, at `lr`: "loss"/"grad" range or "beta" (log
        ratio, lower is smoother), or "ics" cosine at `layer` (higher is less ICS)."""
        a, b = self.dln[("standard", lr)], self.dln[("bn", lr)]
        if what == "ics":
            return paired(a.seed_ics(layer), b.seed_ics(layer), "cosine")
        get = (lambda r: r.landscape.seed_beta()) if what == "beta" else \
            (lambda r: r.landscape.seed_spread(what))
        return paired(get(a), get(b), "log", lower_is_better=True, log=True)

    def mlp_vs(self, a, b, what="grad"):
        get = (lambda p: p.seed_beta()) if what == "beta" else (lambda p: p.seed_spread(what))
        return paired(get(self.mlp[a]), get(self.mlp[b]), "log", lower_is_better=True,
                      log=True)


def run(config: SmoothnessConfig, device="cpu", mlp=None) -> SmoothnessResult:
    """The DLN runs; `mlp`: an ics.ICSResult whose MLP landscapes are reused (the MLPs
    are the ICS experiment's networks, probed in the same runs)."""
    res = SmoothnessResult(config)
    if mlp is not None:
        res.mlp = dict(mlp.landscape)
    S, lrs = len(config.seeds), config.dln_lrs
    tasks = [linear_task(s, config.dln_width, config.dln_n_train, device=device)
             for s in config.seeds]
    # runs: every learning rate x every seed, in one batch (seed s has the same data and
    # the same initial weights at both learning rates)
    d = data.Split(*(torch.stack([getattr(t, f) for _ in lrs for t in tasks])
                     for f in ("x_train", "y_train", "x_test", "y_test")))  # (R, n, w)
    lr = torch.tensor([l for l in lrs for _ in config.seeds], device=device)
    etas = lr[:, None] * torch.tensor(config.eta_factors, device=device)[None]
    for name in DLN_NETWORKS:
        net = deep_linear([s for _ in lrs for s in config.seeds], config.dln_depth,
                          config.dln_width, bn=name == "bn", device=device)
        land = LandscapeProbe(config.dln_every, etas, mse)
        ic = ICSProbe(config.dln_every, lr, mse, config.ics_layers)
        tr = fit(net, d, steps=config.dln_steps, lr=lr,
                 batch_size=None, loss_fn=mse, callbacks=(land, ic), diverge_above=1e6)
        l2, cos, norm = ic.arrays()
        loss0, losses, changes, gnorm = land.arrays()
        final = tr.final_loss(20)
        for k, lr_value in enumerate(lrs):
            sl = slice(k * S, (k + 1) * S)
            res.dln[(name, lr_value)] = DLNRun(
                Probed(land.step, np.asarray(config.eta_factors) * lr_value, loss0[sl],
                       losses[sl], changes[sl], gnorm[sl], final[sl]),
                config.ics_layers, cos[sl], l2[sl] / norm[sl], tr.diverged[sl])
    return res


def plot_mlp(res: SmoothnessResult) -> list:
    """The MLPs during training: the largest gradient change over the step sizes, and
    the effective beta-smoothness (mean line, min and max over seeds), log scales."""
    figs = []
    for title, ylabel, get in (
            ("MLP: gradient change", r"max$_\eta \Vert\nabla L(w - \eta g) - g\Vert$",
             lambda p: p.grad_change[..., 1]),
            ("MLP: effective β", r"max$_\eta \Vert\Delta\nabla L\Vert / \Vert\Delta w\Vert$",
             lambda p: p.beta)):
        fig, ax = plots.figure()
        for name, p in res.mlp.items():
            if name in ("standard", "bn", "noisy", "noise"):
                plots.band(ax, p.steps, get(p), plots.COLOR[name], label=NETWORK_LABEL[name])
        ax.set(title=title, xlabel="training step", ylabel=ylabel, yscale="log")
        plots.log_ticks(ax)
        ax.xaxis.set_major_locator(plots.ticker.MaxNLocator(4))
        figs.append(fig)
    figs[0].axes[0].legend(loc="best")
    return figs


def plot_dln(res: SmoothnessResult) -> list:
    """The DLN: loss and gradient change along -g against the step size (as a multiple
    of the training lr), averaged over the probes (geometric mean) and the seeds; both
    networks at both learning rates. Where the loss ratio passes 1, the step overshoots."""
    figs = []
    for what, title, ylabel in (
            ("loss", "DLN: loss along −g", "L(w − ηg) / L(w)"),
            ("grad", "DLN: gradient change along −g",
             r"$\Vert\nabla L(w - \eta g) - g\Vert / \Vert g\Vert$")):
        fig, ax = plots.figure()
        for (name, lr), r in res.dln.items():
            p = r.landscape
            with np.errstate(divide="ignore", invalid="ignore"):
                y = 10 ** np.nanmean(np.log10(p.along(what)), 0)
            style = "-" if lr == max(res.config.dln_lrs) else "--"
            ax.plot(np.asarray(res.config.eta_factors), y, style, marker="o", markersize=3,
                    color=plots.COLOR[name], label=f"{NETWORK_LABEL[name]}, lr {lr:g}")
        if what == "loss":
            ax.axhline(1.0, color="0.5", linestyle=":", linewidth=1)
        ax.set(xscale="log", yscale="log", title=title, xlabel="step size η / training lr",
               ylabel=ylabel)
        plots.log_ticks(ax)
        plots.log_ticks(ax, "x")
        figs.append(fig)
    figs[0].axes[0].legend(loc="upper left")
    return figs


def plot(res: SmoothnessResult) -> list:
    return (plot_mlp(res) if res.mlp else []) + plot_dln(res)
