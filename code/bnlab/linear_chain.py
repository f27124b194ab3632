"""Claim 6, the example the post promised: Goodfellow, Bengio & Courville (2016), §8.7.1.

A chain of scalar linear "layers", h_i = h_{i-1} * w_i, so yhat = x * w_1 * ... * w_l.
Gradient descent updates every w_i as if the others stayed put. The first-order
prediction of the change in yhat after the step w <- w - eps * g is -eps * g.g, but the
true new output is x * prod_i (w_i - eps * g_i): a polynomial in eps of degree l, whose
higher-order terms (eps^2 g_1 g_2 w_3...w_l, ...) can swamp the prediction.

Normalising the last hidden unit, yhat = w_l * BN(h_{l-1}), removes them: BN(h_{l-1})
does not depend on w_1..w_{l-1} (only on their sign), so yhat is linear in w_l and the
first-order prediction is exact.

Part A measures the gap for one step (no randomness: the book's numbers), part B trains
chains at two depths over a range of learning rates, with and without the normalisation.
"""

from dataclasses import dataclass, field

import matplotlib
import numpy as np
import torch

from . import plots
from .config import Profiles


def chain(ws: torch.Tensor, x: torch.Tensor, normalise: bool, eps: float = 0.0):
    """Output of the chain for a batch. ws: (..., l) weights, x: (..., batch) inputs
    (leading dims are independent chains). normalise: standardise h_{l-1} over the batch."""
    h = x * ws[..., :-1].prod(-1, keepdim=True)               # h_{l-1}: (..., batch)
    if normalise:
        mu, var = h.mean(-1, keepdim=True), h.var(-1, keepdim=True, correction=0)
        h = (h - mu) / torch.sqrt(var + eps)
    return ws[..., -1:] * h                                   # yhat: (..., batch)


RULES = ("decrease", "fixed")  # the book's step (sized for a 0.1 decrease), SGD's fixed eps


def one_step_gap(depth: int, w: float, normalise: bool, want: float = 0.1, n: int = 256,
                 rule: str = "decrease", fixed_lr: float = 0.01):
    """The book's experiment: choose eps so that the first-order prediction is a decrease
    of `want` (rule "decrease"), or take SGD's fixed eps = `fixed_lr` (rule "fixed"),
    take the step, and return |actual change - predicted| / |predicted|.
    The quantity followed is s = mean(yhat * x), the chain's slope (= prod w for the plain
    chain, since x is standardised to mean(x^2) = 1)."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, generator=g, dtype=torch.float64)
    x = (x - x.mean()) / x.std(correction=0)
    ws = torch.full((depth,), float(w), dtype=torch.float64, requires_grad=True)
    s = (chain(ws, x, normalise) * x).mean()
    (grad,) = torch.autograd.grad(s, ws)
    gg = grad.dot(grad)
    lr = want / gg if rule == "decrease" else torch.tensor(fixed_lr, dtype=torch.float64)
    predicted = -(lr * gg)                                    # first-order change of s
    with torch.no_grad():
        s_new = (chain(ws - lr * grad, x, normalise) * x).mean()
    return abs(((s_new - s) - predicted) / predicted).item()


@dataclass(frozen=True)
class ChainConfig(Profiles):
    # part A: one step
    depths: tuple = tuple(range(1, 21))
    weights: tuple = (0.5, 0.9, 1.0, 1.1, 1.5)   # every w_i set to this value
    fixed_lr: float = 0.01                       # SGD's step for the "fixed" rule
    # part B: training
    train_depths: tuple = (4, 16)
    target_slope: float = 2.0                    # learn y = 2 x
    init_noise: float = 0.1                      # w_i ~ 1 + N(0, 0.1^2)
    lrs: tuple = tuple(np.logspace(-4, 1, 21).round(8))
    steps: int = 100
    batch_size: int = 64
    converged_below: float = 0.01                # final loss / initial loss
    seeds: tuple = (0, 1, 2, 3, 4)

    @classmethod
    def full(cls):
        return cls(depths=tuple(range(1, 51)), train_depths=(4, 32), steps=2000,
                   lrs=tuple(np.logspace(-5, 1, 49).round(8)), seeds=tuple(range(10)))

    @classmethod
    def short(cls):
        return cls(depths=tuple(range(1, 11)), steps=30, lrs=tuple(np.logspace(-4, 1, 6).round(8)))


@dataclass
class ChainResult:
    config: ChainConfig
    gap: dict = field(default_factory=dict)         # (w, normalise) -> (depths,) relative gap
    fixed_gap: dict = field(default_factory=dict)   # the same with SGD's fixed step
    final_loss: dict = field(default_factory=dict)  # (depth, normalise) -> (seeds, lrs)
    initial_loss: dict = field(default_factory=dict)
    diverged: dict = field(default_factory=dict)    # (depth, normalise) -> (seeds, lrs) bool

    def gaps(self, rule="decrease") -> dict:
        return self.gap if rule == "decrease" else self.fixed_gap

    def gap_at(self, w, depth, normalise=False, rule="decrease") -> float:
        return float(self.gaps(rule)[(w, normalise)][self.config.depths.index(depth)])

    def max_gap_normalised(self, rule="decrease") -> float:
        return float(max(self.gaps(rule)[(w, True)].max() for w in self.config.weights))

    def grows(self, rule="decrease") -> list:
        """The weights whose first-order error grows from depth 2 to the deepest chain."""
        last = self.config.depths[-1]
        return [w for w in self.config.weights
                if self.gap_at(w, last, rule=rule) > self.gap_at(w, 2, rule=rule)]

    def window(self, depth, normalise):
        """(smallest, largest) lr at which every seed converged, or (nan, nan)."""
        ok = (~self.diverged[(depth, normalise)] &
              (self.final_loss[(depth, normalise)]
               < self.config.converged_below * self.initial_loss[(depth, normalise)])).all(0)
        lrs = np.array(self.config.lrs)[ok]
        return (float(lrs.min()), float(lrs.max())) if len(lrs) else (np.nan, np.nan)

    def decades(self, depth, normalise) -> float:
        lo, hi = self.window(depth, normalise)
        return float(np.log10(hi / lo))


def train_chains(config: ChainConfig, depth: int, normalise: bool):
    """SGD on mean (yhat - a x)^2 for every (seed, lr) at once.
    Returns final loss (seeds, lrs) = mean of the last 10 steps, initial loss, diverged."""
    S, L = len(config.seeds), len(config.lrs)
    lrs = torch.tensor(config.lrs, dtype=torch.float64)[None, :, None]      # (1, L, 1)
    ws = []
    for seed in config.seeds:
        g = torch.Generator().manual_seed(seed)
        ws.append(1 + config.init_noise * torch.randn(depth, generator=g, dtype=torch.float64))
    ws = torch.stack(ws)[:, None, :].repeat(1, L, 1).requires_grad_(True)   # (S, L, depth)
    data = torch.Generator().manual_seed(1234)
    losses = []
    for _ in range(config.steps):
        x = torch.randn(S, 1, config.batch_size, generator=data, dtype=torch.float64)
        # standardise each batch exactly, so that BN(x) = x and both chains can reach
        # zero loss: what is left to compare is the optimisation, not BN's batch noise
        x = (x - x.mean(-1, keepdim=True)) / x.std(-1, keepdim=True, correction=0)
        loss = ((chain(ws, x, normalise, eps=1e-5) - config.target_slope * x) ** 2).mean(-1)
        losses.append(loss.detach())                                         # (S, L)
        (grad,) = torch.autograd.grad(loss.sum(), ws)  # chains are independent: sum is fine
        with torch.no_grad():
            ws -= lrs * grad
            ws.nan_to_num_(nan=np.inf)
    losses = torch.stack(losses)                                             # (steps, S, L)
    final = losses[-10:].mean(0).numpy()
    diverged = ~np.isfinite(final) | (final > 1e6)
    return np.where(diverged, np.inf, final), losses[0].mean().item(), diverged


def run(config: ChainConfig, device=None) -> ChainResult:
    """Scalars in float64 on the CPU: `device` is accepted and ignored."""
    res = ChainResult(config)
    for w in config.weights:
        for normalise in (False, True):
            res.gap[(w, normalise)] = np.array(
                [one_step_gap(l, w, normalise) for l in config.depths])
            res.fixed_gap[(w, normalise)] = np.array(
                [one_step_gap(l, w, normalise, rule="fixed", fixed_lr=config.fixed_lr)
                 for l in config.depths])
    for depth in config.train_depths:
        for normalise in (False, True):
            final, init, div = train_chains(config, depth, normalise)
            res.final_loss[(depth, normalise)], res.diverged[(depth, normalise)] = final, div
            res.initial_loss[(depth, normalise)] = init
    return res


def plot(res: ChainResult) -> list:
    """(a, b) One step's first-order error against depth, for the book's step (sized
    for a 0.1 decrease) and for SGD's fixed step; (c, d) final relative loss after SGD
    against the learning rate, for the two training depths."""
    c = res.config
    colors = [plots.OI[k] for k in ("vermillion", "orange", "green", "sky", "purple")]
    figs = []
    for rule, title in (("decrease", "Step sized for a 0.1 decrease"),
                        ("fixed", f"Fixed step ε = {c.fixed_lr:g}")):
        fig, a = plots.figure()
        gaps = res.gaps(rule)
        for w, col in zip(c.weights, colors):
            a.plot(c.depths, np.clip(gaps[(w, False)], 1e-17, 1e7), "o-", color=col,
                   markersize=3, label=f"all w = {w}")
        norm = np.max([gaps[(w, True)] for w in c.weights], 0)
        a.plot(c.depths, np.maximum(norm, 1e-17), "s--", color="black", markersize=3,
               label="normalised")
        a.set(yscale="log", ylim=(1e-18, 1e8), title=title, xlabel="depth l (layers)",
              ylabel="|actual − predicted| / |predicted|")
        a.yaxis.set_major_locator(plots.ticker.LogLocator(numticks=6))
        a.yaxis.set_minor_formatter(plots.ticker.NullFormatter())
        figs.append(fig)
    figs[0].axes[0].legend(loc="lower left", ncol=2, fontsize=8.5)
    lrs = np.array(c.lrs)
    for depth in c.train_depths:
        fig, axis = plots.figure()
        for normalise in (False, True):
            key = (depth, normalise)
            rel = res.final_loss[key] / res.initial_loss[key]
            plots.seed_markers(axis, lrs, np.where(res.diverged[key], np.nan, rel),
                               plots.COLOR["normalised" if normalise else "plain"],
                               label="normalised last unit" if normalise else "plain chain",
                               diverged=res.diverged[key], ceiling=30 if normalise else 100)
            lo, hi = res.window(depth, normalise)
            if np.isfinite(lo):
                axis.axvspan(lo, hi, ymin=0.0 if normalise else 0.03,
                             ymax=0.03 if normalise else 0.06,
                             color=plots.COLOR["normalised" if normalise else "plain"])
        axis.axhline(c.converged_below, color="0.5", linestyle=":", linewidth=1)
        axis.set(xscale="log", yscale="log", ylim=(1e-12, 300),
                 title=f"Training, depth {depth}",
                 xlabel="learning rate", ylabel="final loss / initial loss")
        axis.xaxis.set_major_locator(plots.ticker.LogLocator(numticks=6))
        axis.yaxis.set_major_locator(plots.ticker.LogLocator(numticks=6))
        axis.yaxis.set_minor_formatter(plots.ticker.NullFormatter())
        figs.append(fig)
    bar = matplotlib.patches.Patch(color="0.4")
    plots.diverged_legend(figs[2].axes[0], extra=[(bar, "converged (all seeds)")],
                          loc="lower left", fontsize=8)
    return figs
