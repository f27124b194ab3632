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

import copy
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import data, plots
from .config import Profiles
from .ics import ICSProbe
from .models import NETWORK_LABEL, SANTURKAR_NETWORKS, hold_noise, mlp
from .train import grads, rng_preserved, set_seed, train


def landscape(model, x, y, etas, loss_fn=F.cross_entropy):
    """Loss and gradient along -g for each step size in `etas`, on a copy of the model
    (the model, its BN statistics and torch's RNG are untouched).
    Returns (loss at 0, losses (len(etas),), gradient changes (len(etas),), ||g||)."""
    with rng_preserved(next(model.parameters()).device):
        net = copy.deepcopy(model)
        net.train()
        hold_noise(net)
        params = list(net.parameters())
        theta = [p.detach().clone() for p in params]
        with torch.no_grad():
            loss0 = loss_fn(net(x), y).item()
        g = grads(net, x, y, loss_fn)
        g_flat = torch.cat([t.flatten() for t in g])
        losses, changes = [], []
        for eta in etas:
            with torch.no_grad():
                for p, t, gi in zip(params, theta, g):
                    p.copy_(t - eta * gi)
                losses.append(loss_fn(net(x), y).item())
            g_eta = torch.cat([t.flatten() for t in grads(net, x, y, loss_fn)])
            changes.append((g_eta - g_flat).norm().item())
    return loss0, np.array(losses), np.array(changes), g_flat.norm().item()


class LandscapeProbe:
    """Training callback: `landscape` every `every` steps, on that step's batch."""

    def __init__(self, every, etas, loss_fn=F.cross_entropy):
        self.every, self.etas, self.loss_fn = every, np.asarray(etas), loss_fn
        self.step, self.loss_range, self.grad_change, self.beta = [], [], [], []

    def __call__(self, step, model, xb, yb):
        if step % self.every:
            return
        loss0, losses, changes, gnorm = landscape(model, xb, yb, self.etas, self.loss_fn)
        both = np.append(losses, loss0)
        both = np.where(np.isfinite(both), both, np.inf)
        self.step.append(step)
        self.loss_range.append((both.min(), both.max()))            # (2,)
        self.grad_change.append((changes.min(), changes.max()))     # (2,)
        self.beta.append(np.max(changes / (self.etas * gnorm)))


def deep_linear(depth=25, width=10, bn=False, init_std=None, seed=0):
    """Santurkar's DLN: `depth` bias-free width x width linear layers, BN after each but
    the last when bn=True. Weights ~ N(0, 1/width) keep the signal's scale on average.
    The weights come from their own generator seeded with `seed`, so the network does
    not depend on (or move) torch's global RNG."""
    std = init_std if init_std is not None else width ** -0.5
    g = torch.Generator().manual_seed(seed)
    layers = []
    for i in range(depth):
        lin = nn.Linear(width, width, bias=False, device="meta")  # no default init drawn
        lin.weight = nn.Parameter(torch.randn(width, width, generator=g) * std)
        layers.append(lin)
        if bn and i < depth - 1:
            layers.append(nn.BatchNorm1d(width))
    return nn.Sequential(*layers)


def linear_task(seed, width=10, n_train=1000, n_test=200, a_std=1.0, device="cpu") -> data.Split:
    """Regression to a random linear map: x ~ N(0, I), y = A x, A_ij ~ N(0, a_std^2)
    (a_std = 1: a standard Gaussian matrix)."""
    g = torch.Generator().manual_seed(10_000 + seed)
    A = torch.randn(width, width, generator=g) * a_std
    x = torch.randn(n_train + n_test, width, generator=g)
    y = x @ A.T
    s = lambda t: t.to(device)  # noqa: E731
    return data.Split(s(x[:n_train]), s(y[:n_train]), s(x[n_train:]), s(y[n_train:]))


@dataclass(frozen=True)
class SmoothnessConfig(Profiles):
    # the MLPs (same three networks as the ICS experiment), mini-batch SGD
    width: int = 100
    depth: int = 6
    init_gain: float = 1.0
    batch_size: int = 64
    lr: float = 0.1
    steps: int = 400
    every: int = 40               # probe every ... steps
    # the deep linear network, Santurkar's protocol: full-batch gradient descent
    dln_depth: int = 25
    dln_width: int = 10
    dln_n_train: int = 1000       # Gaussian inputs; targets y = A x, A standard Gaussian
    dln_lr: float = 0.01          # the same for both; 0.1 diverges without BN
    dln_steps: int = 300
    dln_every: int = 50
    # the probe: step sizes as multiples of the training lr (the paper's 1/100 to 30)
    eta_factors: tuple = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
    seeds: tuple = (0, 1, 2)

    @classmethod
    def full(cls):
        return cls(width=512, depth=10, steps=20_000, every=500, dln_steps=10_000,
                   dln_every=500, eta_factors=tuple(np.geomspace(0.01, 30.0, 16).round(4)))

    @classmethod
    def short(cls):
        return cls(steps=80, every=20, dln_steps=60, dln_every=20)


@dataclass
class Probed:
    """One network's landscape measurements over seeds."""

    steps: list
    loss_range: np.ndarray   # (seeds, probes, 2) min, max of L(w - eta g) incl. eta = 0
    grad_change: np.ndarray  # (seeds, probes, 2) min, max of ||grad L(w - eta g) - g||
    beta: np.ndarray         # (seeds, probes) effective beta-smoothness
    final_loss: np.ndarray   # (seeds,) training loss at the end (mean of last 20 steps)
    ics_cos: np.ndarray | None = None  # (seeds, probes, layers-1) ICS cosine (DLN only)
    ics_rel: np.ndarray | None = None  # (seeds, probes, layers-1) ||G - G'|| / ||G||

    def seed_spread(self, what="loss") -> np.ndarray:
        """(seeds,) mean over probes of (max - min): the width of the band, per seed."""
        a = self.loss_range if what == "loss" else self.grad_change
        with np.errstate(invalid="ignore"):
            return np.mean(a[..., 1] - a[..., 0], axis=1)

    def spread(self, what="loss") -> float:
        """Mean over seeds and probes of (max - min)."""
        return float(np.mean(self.seed_spread(what)))

    def seed_beta(self) -> np.ndarray:
        return self.beta.mean(1)

    @property
    def mean_beta(self) -> float:
        return float(np.mean(self.beta))

    def seed_ics(self, what="cos") -> np.ndarray:
        """(seeds,) ICS cosine or relative distance averaged over probes and layers."""
        a = self.ics_cos if what == "cos" else self.ics_rel
        return a.mean((1, 2))


@dataclass
class SmoothnessResult:
    config: SmoothnessConfig
    mlp: dict = field(default_factory=dict)  # "standard" / "bn" / "noisy" -> Probed
    dln: dict = field(default_factory=dict)  # "standard" / "bn" -> Probed


def _probe_runs(make_model, make_data, lr, steps, every, batch_size, config, loss_fn,
                device, with_ics=False):
    out = []
    etas = lr * np.asarray(config.eta_factors)
    for seed in config.seeds:
        set_seed(seed)
        model, d = make_model(seed).to(device), make_data(seed)
        probes = [LandscapeProbe(every, etas, loss_fn)]
        if with_ics:
            probes.append(ICSProbe(every, lr, loss_fn))
        h = train(model, d, steps=steps, lr=lr, batch_size=batch_size, seed=seed,
                  loss_fn=loss_fn, callbacks=tuple(probes), diverge_above=1e6)
        out.append((probes, h.final_loss(last=20)))
    ps = [p[0] for p, _ in out]
    probed = Probed(ps[0].step, np.array([p.loss_range for p in ps]),
                    np.array([p.grad_change for p in ps]), np.array([p.beta for p in ps]),
                    np.array([f for _, f in out]))
    if with_ics:
        ic = [p[1] for p, _ in out]
        probed.ics_cos = np.array([p.cos for p in ic])
        probed.ics_rel = np.array([np.array(p.l2) / np.array(p.norm) for p in ic])
    return probed


def run(config: SmoothnessConfig, device="cpu") -> SmoothnessResult:
    res = SmoothnessResult(config)
    d = data.mnist1d(device)
    for name, kw in SANTURKAR_NETWORKS.items():
        res.mlp[name] = _probe_runs(
            lambda seed, kw=kw: mlp(d.n_features, d.n_classes, config.width, config.depth,
                                    act="relu", init_gain=config.init_gain, **kw),
            lambda seed: d, config.lr, config.steps, config.every, config.batch_size,
            config, F.cross_entropy, device)
    for name in ("standard", "bn"):
        res.dln[name] = _probe_runs(
            lambda seed, name=name: deep_linear(config.dln_depth, config.dln_width,
                                                bn=name == "bn", seed=seed),
            lambda seed: linear_task(seed, config.dln_width, config.dln_n_train,
                                     device=device),
            config.dln_lr, config.dln_steps, config.dln_every, None, config, F.mse_loss,
            device, with_ics=True)
    return res


def _column(ax, probed: dict, title):
    a, b, c = ax
    for name, p in probed.items():
        color, label = plots.COLOR[name], NETWORK_LABEL[name]
        s = np.array(p.steps)
        for axis, arr in ((a, p.loss_range), (b, p.grad_change)):
            lo, hi = arr[..., 0].mean(0), arr[..., 1].mean(0)  # min/max over eta, mean over seeds
            axis.fill_between(s, lo, hi, color=color, alpha=0.3, linewidth=0, label=label)
            axis.plot(s, lo, color=color, linewidth=0.8)
            axis.plot(s, hi, color=color, linewidth=0.8)
        plots.band(c, s, p.beta, color, label=label)
    a.set(title=f"{title}: loss range", yscale="log")
    b.set(title=f"{title}: gradient change", yscale="log")
    c.set(title=f"{title}: effective β", xlabel="training step", yscale="log")
    a.legend(loc="best")
    for axis in ax:
        axis.xaxis.set_major_locator(plots.ticker.MaxNLocator(3))
        axis.yaxis.set_major_locator(plots.ticker.LogLocator(numticks=4))
        axis.yaxis.set_minor_formatter(plots.ticker.NullFormatter())  # no 2x10^1 clutter


def plot(res: SmoothnessResult):
    fig, ax = plots.subplots(3, 2, sharex="col")
    _column(ax[:, 0], res.mlp, "MLP")
    _column(ax[:, 1], res.dln, "DLN")
    ax[0, 0].set_ylabel("loss along −g")
    ax[1, 0].set_ylabel(r"$\Vert\nabla L(w - \eta g) - g\Vert$")
    ax[2, 0].set_ylabel(r"max $\Vert\Delta\nabla L\Vert / \Vert\Delta w\Vert$")
    plots.label_panels(ax)
    return fig
