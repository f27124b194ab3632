"""The post's missing picture: what BN does to one batch of activations.

We train a small BN network on MNIST-1D for a few hundred steps, take one batch, and show
for four units of the second hidden layer the input z to BN, the normalised x_hat (zero
mean, unit variance per unit) and the output gamma * x_hat + beta with the learnt gamma
and beta. The units: the lowest and the highest mean input (so the first panel shows
units that differ), then the two whose (gamma, beta) moved furthest from (1, 0) (so the
last panel shows what the learnt parameters do). The hand-written `layers.BatchNorm`, loaded with the trained layer's state,
computes the three stages.
"""

from dataclasses import dataclass

import numpy as np
import torch

from . import data, plots
from .config import Profiles
from .layers import BatchNorm
from .models import mlp
from .train import set_seed, train


@dataclass(frozen=True)
class HistConfig(Profiles):
    width: int = 100
    depth: int = 2
    steps: int = 1000         # long enough for gamma and beta to move away from 1 and 0
    lr: float = 0.5
    batch_size: int = 256     # the batch shown
    seed: int = 0

    @classmethod
    def full(cls):
        return cls(steps=5000)

    @classmethod
    def short(cls):
        return cls(steps=100)


@dataclass
class HistResult:
    config: HistConfig
    units: list         # the four units shown
    z: np.ndarray       # (batch, units) input of BN
    x_hat: np.ndarray   # (batch, units) normalised
    y: np.ndarray       # (batch, units) gamma * x_hat + beta
    gamma: np.ndarray   # (units,)
    beta: np.ndarray    # (units,)


def run(config: HistConfig, device="cpu") -> HistResult:
    d = data.mnist1d(device)
    set_seed(config.seed)
    model = mlp(d.n_features, d.n_classes, config.width, config.depth, act="relu",
                bn="before").to(device)
    train(model, d, steps=config.steps, lr=config.lr, batch_size=64, seed=config.seed)
    bn = BatchNorm(config.width).to(device)
    bn.load_state_dict(model[4].state_dict())  # [Linear, BN, ReLU, Linear, BN, ...]: 2nd BN
    bn.train()
    idx = torch.randperm(d.x_train.shape[0], generator=torch.Generator().manual_seed(0))
    x = d.x_train[idx[: config.batch_size].to(device)]
    with torch.no_grad():
        z = model[:4](x)                                # (batch, width) input of the 2nd BN
        x_hat = bn.normalise(z)
        y = bn(z)
    mean = z.mean(0)
    moved = (bn.weight.detach() - 1).abs() + bn.bias.detach().abs()   # (width,)
    u: list[int] = []
    for order in (mean.argsort(), (-mean).argsort(), (-moved).argsort(), (-moved).argsort()):
        u.append(next(i for i in order.tolist() if i not in u))  # four distinct units
    np_ = lambda t: t[:, u].cpu().numpy()  # noqa: E731
    return HistResult(config, u, np_(z), np_(x_hat), np_(y),
                      bn.weight.detach()[u].cpu().numpy(), bn.bias.detach()[u].cpu().numpy())


def plot(res: HistResult) -> list:
    figs = [plots.figure() for _ in range(3)]
    ax = np.array([[a] for _, a in figs])
    stages = [(res.z, "Input to BN: $z$", "$z$ (pre-activation units)"),
              (res.x_hat, r"Normalised: $\hat z = (z - \mu_B)\,/\,\sigma_B$",
               r"$\hat z$ (standard deviations)"),
              (res.y, r"Scaled and shifted: $\gamma \hat z + \beta$", r"$\gamma \hat z + \beta$")]
    colors = [plots.OI[k] for k in ("blue", "vermillion", "green", "purple")]
    for r, (axis, (vals, title, xlabel)) in enumerate(zip(ax[:, 0], stages)):
        bins = np.linspace(vals.min(), vals.max(), 31)
        for j, (unit, col) in enumerate(zip(res.units, colors)):
            if r == 0:
                label = f"unit {unit}: mean {res.z[:, j].mean():+.1f}, sd {res.z[:, j].std():.1f}"
            elif r == 2:
                label = f"unit {unit}: $\\gamma$={res.gamma[j]:.2f}, $\\beta$={res.beta[j]:+.2f}"
            else:
                label = None
            axis.hist(vals[:, j], bins=bins, histtype="step", color=col, linewidth=1.4,
                      label=label)
        axis.set(title=title, xlabel=xlabel, ylabel="count")
        if r != 1:
            axis.legend(loc="upper left", fontsize=8, frameon=True, framealpha=0.9,
                        edgecolor="none")
    ax[1, 0].set_xlim(-4, 4)
    return [f for f, _ in figs]
