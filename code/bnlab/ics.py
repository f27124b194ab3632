"""Claim 4, internal covariate shift (ICS), measured as Santurkar et al. (2018) define it.

Definition 2.1: at step t, with mini-batch (x, y) and parameters W_1..W_k,

    G_i  = grad_{W_i} L(W_1, ..., W_k; x, y)
    G'_i = grad_{W_i} L(W_1 - lr*g_1, ..., W_{i-1} - lr*g_{i-1}, W_i, ..., W_k; x, y)

i.e. layer i's gradient before and after the layers below it take their SGD step on the
same batch. ICS_i = ||G_i - G'_i||_2; the cosine of the angle between G_i and G'_i says
whether the direction survives. If BN reduced ICS, BN networks would show smaller
distances and cosines closer to 1. We measure a standard, a BN and a noisy-BN MLP.
"""

import copy
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from . import data, plots
from .config import Profiles
from .models import NETWORK_LABEL, SANTURKAR_NETWORKS, hold_noise, linears, mlp
from .train import grads, rng_preserved, set_seed, train


def ics(model, x, y, lr, loss_fn=F.cross_entropy):
    """ICS of every Linear layer but the first (which has nothing below it).
    Works on a copy: the model, its .grad, its BN running statistics and torch's RNG
    are left exactly as they were. Returns (l2, cos, norm), arrays of len(linears) - 1,
    where norm = ||G_i||."""
    with rng_preserved(next(model.parameters()).device):
        net = copy.deepcopy(model)
        net.train()
        hold_noise(net)
        params = list(net.parameters())
        g0 = dict(zip(params, grads(net, x, y, loss_fn)))   # G for every parameter
        theta = [p.detach().clone() for p in params]
        mods = list(net)
        l2, cos, norm = [], [], []
        for lin in linears(net)[1:]:
            below = [p for m in mods[: mods.index(lin)] for p in m.parameters()]
            with torch.no_grad():
                for p in below:                               # the lower layers' SGD step
                    p.sub_(lr * g0[p])
            G, G2 = g0[lin.weight].flatten(), grads(net, x, y, loss_fn, [lin.weight])[0].flatten()
            l2.append((G - G2).norm().item())
            cos.append(F.cosine_similarity(G, G2, dim=0).item())
            norm.append(G.norm().item())
            with torch.no_grad():                             # back to W^t
                for p, t in zip(params, theta):
                    p.copy_(t)
    return np.array(l2), np.array(cos), np.array(norm)


class ICSProbe:
    """Training callback: ICS of every layer every `every` steps, on that step's batch."""

    def __init__(self, every, lr, loss_fn=F.cross_entropy):
        self.every, self.lr, self.loss_fn = every, lr, loss_fn
        self.step, self.l2, self.cos, self.norm = [], [], [], []

    def __call__(self, step, model, xb, yb):
        if step % self.every == 0:
            l2, cos, norm = ics(model, xb, yb, self.lr, self.loss_fn)
            self.step.append(step)
            self.l2.append(l2)
            self.cos.append(cos)
            self.norm.append(norm)


@dataclass(frozen=True)
class ICSConfig(Profiles):
    width: int = 100
    depth: int = 6               # hidden layers -> 7 Linear layers, ICS for layers 2..7
    batch_size: int = 64
    lr: float = 0.1              # the same for all three networks, as in the paper
    init_gain: float = 1.0       # He initialisation, so the standard network trains too
    steps: int = 400
    every: int = 40              # ICS probe every ... steps
    eval_every: int = 100
    layer: int = 5               # which Linear layer (1-based) the figure follows
    seeds: tuple = (0, 1, 2)

    @classmethod
    def full(cls):
        return cls(width=512, depth=10, steps=20_000, every=500, eval_every=500, layer=8)

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
    # net -> (seeds,) training loss at the end (last 50 steps, in training mode: noisy BN
    # with its noise), the measure that does not depend on how noisy BN is evaluated
    train_loss: dict = field(default_factory=dict)

    def _col(self):
        return self.config.layer - 2  # arrays start at layer 2

    def mean_l2(self, net, layer_only=True) -> float:
        a = self.l2[net][..., self._col()] if layer_only else self.l2[net]
        return float(a.mean())

    def mean_cos(self, net, layer_only=True) -> float:
        a = self.cos[net][..., self._col()] if layer_only else self.cos[net]
        return float(a.mean())

    def mean_rel(self, net) -> float:
        """||G - G'|| / ||G|| at the followed layer, averaged over probes and seeds."""
        c = self._col()
        return float((self.l2[net][..., c] / self.norm[net][..., c]).mean())

    def final_acc(self, net) -> float:
        return float(self.test_acc[net][:, -1].mean())

    def seed_acc(self, net) -> np.ndarray:
        """(seeds,) final test accuracy."""
        return self.test_acc[net][:, -1]

    def seed_cos(self, net, layer_only=True) -> np.ndarray:
        """(seeds,) cosine averaged over probes (and layers unless `layer_only`)."""
        a = self.cos[net][..., self._col()] if layer_only else self.cos[net].mean(-1)
        return a.mean(1)

    def seed_rel(self, net) -> np.ndarray:
        """(seeds,) ||G - G'|| / ||G|| at the followed layer, averaged over probes."""
        c = self._col()
        return (self.l2[net][..., c] / self.norm[net][..., c]).mean(1)


def run(config: ICSConfig, device="cpu") -> ICSResult:
    d = data.mnist1d(device)
    res = ICSResult(config)
    for name, kw in SANTURKAR_NETWORKS.items():
        l2, cos, norm, acc, loss = [], [], [], [], []
        for seed in config.seeds:
            set_seed(seed)
            model = mlp(d.n_features, d.n_classes, config.width, config.depth, act="relu",
                        init_gain=config.init_gain, **kw).to(device)
            probe = ICSProbe(config.every, config.lr)
            h = train(model, d, steps=config.steps, lr=config.lr, batch_size=config.batch_size,
                      seed=seed, eval_every=config.eval_every, callbacks=(probe,))
            l2.append(probe.l2)
            cos.append(probe.cos)
            norm.append(probe.norm)
            acc.append(h.test_acc)
            loss.append(h.final_loss())
        res.train_loss[name] = np.array(loss)
        res.l2[name], res.cos[name] = np.array(l2), np.array(cos)
        res.norm[name], res.test_acc[name] = np.array(norm), np.array(acc)
        res.steps, res.eval_step = probe.step, h.eval_step
    return res


def plot(res: ICSResult):
    fig, ax = plots.subplots(3, 1, sharex=True)
    a, b, c = ax[:, 0]
    col = res._col()
    for name in SANTURKAR_NETWORKS:
        color, label = plots.COLOR[name], NETWORK_LABEL[name]
        plots.band(a, res.eval_step, res.test_acc[name], color, label=label)
        plots.band(b, res.steps, res.l2[name][..., col], color, label=label)
        plots.band(c, res.steps, res.cos[name][..., col], color, label=label)
    a.set(title="Test accuracy", ylabel="fraction correct")
    b.set(title=f"ICS at layer {res.config.layer}: distance",
          ylabel=r"$\Vert G - G'\Vert_2$", yscale="log")
    c.set(title=f"ICS at layer {res.config.layer}: cosine", xlabel="training step",
          ylabel=r"$\cos(G, G')$")
    b.yaxis.set_minor_formatter(plots.ticker.NullFormatter())  # decades only
    a.legend(loc="lower right")
    plots.label_panels(ax)
    return fig
