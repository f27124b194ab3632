"""Claim 1: normalisation (min-max to [0, 1]) vs standardisation (z-score) of the inputs,
and what each does to gradient descent.

Model: a linear least-squares classifier on the wine data, W: (13 + 1 bias, 3 classes),
loss L(W) = 1/(2n) ||X W - Y||^2 with one-hot Y, trained by full-batch gradient descent.
For this loss everything is set by H = X^T X / n:
  * GD is stable only for lr < 2 / lambda_max(H)
  * at the best lr the slowest direction shrinks by (kappa - 1) / (kappa + 1) per step,
    kappa = lambda_max / lambda_min = the condition number of X^T X.
We measure kappa, the largest stable lr (theory and sweep) and the loss reached.
"""

from dataclasses import dataclass, field

import matplotlib
import numpy as np

from . import data, plots
from .config import Profiles

PREPROCESSINGS = ("raw", "min-max", "z-score")


@dataclass(frozen=True)
class ScalingConfig(Profiles):
    steps: int = 300                       # full-batch GD steps per run
    lr_decades: tuple = (-8.0, 1.0)        # learning rates 10^a .. 10^b
    lrs_per_decade: int = 4
    test_fraction: float = 0.3             # held-out wines (stratified split per seed)
    seeds: tuple = (0, 1, 2, 3, 4)         # each seed draws a different train/test split

    @classmethod
    def full(cls):
        return cls(steps=5000, lrs_per_decade=8, seeds=tuple(range(10)))  # tiny data: < 1 s

    @classmethod
    def short(cls):
        return cls(steps=60, lrs_per_decade=2)

    @property
    def lrs(self) -> np.ndarray:
        a, b = self.lr_decades
        return np.logspace(a, b, int(round((b - a) * self.lrs_per_decade)) + 1)


@dataclass
class ScalingResult:
    config: ScalingConfig
    lrs: np.ndarray
    feature_std: dict = field(default_factory=dict)    # name -> (13,) std of each feature
    cond: dict = field(default_factory=dict)           # name -> (seeds,) kappa of X^T X
    lr_max_theory: dict = field(default_factory=dict)  # name -> (seeds,) 2 / lambda_max
    excess: dict = field(default_factory=dict)         # name -> (seeds, lrs) L_T - L*
    diverged: dict = field(default_factory=dict)       # name -> (seeds, lrs) bool
    curve: dict = field(default_factory=dict)          # name -> (seeds, steps+1) at best lr
    best_lr: dict = field(default_factory=dict)        # name -> (seeds,)
    test_acc: dict = field(default_factory=dict)       # name -> (seeds,) at best lr

    def rate(self, name, floor: float = 1e-8) -> np.ndarray:
        """(seeds,) convergence speed at the best lr: decades of excess loss lost per
        step, fitted on the part of the curve above `floor` (below it, rounding)."""
        out = []
        for curve in self.curve[name]:
            keep = np.flatnonzero(curve > floor)
            t = keep if len(keep) > 1 else np.arange(len(curve))
            out.append(-np.polyfit(t, np.log10(curve[t]), 1)[0])
        return np.array(out)

    def grid_steps_off(self, name) -> float:
        """How many grid steps the sweep's largest stable lr lies below 2 / lambda_max
        (0: the next grid lr above it already diverged, as theory says)."""
        per = self.config.lrs_per_decade
        return float(np.log10(self.lr_max_theory[name].min() / self.lr_max_sweep(name)) * per)

    def lr_max_sweep(self, name) -> float:
        """Largest swept lr that did not diverge for any seed."""
        ok = ~self.diverged[name].any(0)
        return float(self.lrs[ok].max())


def split(X, y, seed, test_fraction):
    """Stratified train/test split drawn from `seed`."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), bool)
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        test[idx[: int(round(test_fraction * len(idx)))]] = True
    return X[~test], y[~test], X[test], y[test]


def preprocess(name, Xtr, Xte):
    """Fit the scaling on the training split only, apply it to both."""
    if name == "raw":
        return Xtr, Xte
    if name == "min-max":  # "normalisation": every feature into [0, 1]
        lo, hi = Xtr.min(0), Xtr.max(0)
        return (Xtr - lo) / (hi - lo), (Xte - lo) / (hi - lo)
    if name == "z-score":  # "standardisation": zero mean, unit standard deviation
        mu, sd = Xtr.mean(0), Xtr.std(0)
        return (Xtr - mu) / sd, (Xte - mu) / sd
    raise ValueError(name)


def gd(X, Y, lrs, steps):
    """Full-batch GD from W = 0 for every lr at once. X: (n, d), Y: (n, k).
    Returns losses (steps+1, len(lrs)), final W (len(lrs), d, k), diverged (len(lrs),)."""
    n, d = X.shape
    W = np.zeros((len(lrs), d, Y.shape[1]))
    losses = np.empty((steps + 1, len(lrs)))
    with np.errstate(all="ignore"):  # diverging runs overflow on purpose
        for t in range(steps + 1):
            R = X @ W - Y                                  # (lrs, n, k) residuals
            losses[t] = 0.5 * (R**2).sum((1, 2)) / n
            if t < steps:
                W = W - lrs[:, None, None] * (X.T @ R) / n  # gradient X^T R / n
    diverged = ~np.isfinite(losses[-1]) | (losses[-1] > losses[0])
    return losses, W, diverged


def run(config: ScalingConfig, device=None) -> ScalingResult:
    """Numpy only: `device` is accepted for a uniform interface and ignored."""
    X, y, _ = data.wine()
    res = ScalingResult(config, config.lrs)
    for name in PREPROCESSINGS:
        cond, lrmax, excess, div, curve, best, acc = [], [], [], [], [], [], []
        for seed in config.seeds:
            Xtr, ytr, Xte, yte = split(X, y, seed, config.test_fraction)
            Xtr, Xte = preprocess(name, Xtr, Xte)
            A = np.hstack([Xtr, np.ones((len(Xtr), 1))])  # append the bias column
            At = np.hstack([Xte, np.ones((len(Xte), 1))])
            Y = np.eye(3)[ytr]
            eig = np.linalg.eigvalsh(A.T @ A / len(A))     # ascending
            cond.append(eig[-1] / eig[0])
            lrmax.append(2 / eig[-1])
            W_star = np.linalg.lstsq(A, Y, rcond=None)[0]
            L_star = 0.5 * ((A @ W_star - Y) ** 2).sum() / len(A)
            losses, W, d = gd(A, Y, config.lrs, config.steps)
            final = np.where(d, np.inf, losses[-1])
            b = int(np.argmin(final))
            excess.append(np.where(d, np.nan, losses[-1] - L_star))
            div.append(d)
            curve.append(losses[:, b] - L_star)
            best.append(config.lrs[b])
            acc.append(float(((At @ W[b]).argmax(1) == yte).mean()))
        res.feature_std[name] = preprocess(name, X, X)[0].std(0)
        res.cond[name], res.lr_max_theory[name] = np.array(cond), np.array(lrmax)
        res.excess[name], res.diverged[name] = np.array(excess), np.array(div)
        res.curve[name], res.best_lr[name] = np.array(curve), np.array(best)
        res.test_acc[name] = np.array(acc)
    return res


def plot(res: ScalingResult) -> list:
    """(a) each feature's standard deviation, full feature names on the y axis; (b) excess
    loss after the GD steps against the learning rate; (c) excess loss during training
    at each preprocessing's best learning rate."""
    _, _, names = data.wine()
    fig_a, a = plots.figure(figsize=(plots.PHONE_WIDTH, 3.6))
    y = np.arange(len(names))
    for i, name in enumerate(PREPROCESSINGS):
        a.plot(res.feature_std[name], y + (i - 1) * 0.2, "o", color=plots.COLOR[name],
               label=name)
    a.set(xscale="log", title="Spread of feature scales", yticks=y,
          xlabel="standard deviation (feature units)", ylabel="feature")
    a.set_yticklabels([n.replace("_", " ") for n in names], fontsize=9.5)
    a.invert_yaxis()
    a.legend(loc="lower right")
    fig_b, b = plots.figure()
    fig_c, c = plots.figure()
    for i, name in enumerate(PREPROCESSINGS):
        col = plots.COLOR[name]
        plots.seed_markers(b, res.lrs, np.where(res.diverged[name], np.nan, res.excess[name]),
                           col, label=f"{name} (κ≈{np.median(res.cond[name]):.0e})",
                           diverged=res.diverged[name], ceiling=10.0 ** (1.5 - 0.6 * i))
        b.axvline(np.median(res.lr_max_theory[name]), color=col, linestyle=":", linewidth=1.2)
        steps = np.arange(res.config.steps + 1)
        plots.band(c, steps, np.maximum(res.curve[name], 1e-12), col,
                   label=f"{name}, lr={np.median(res.best_lr[name]):.1g}")
    b.set(xscale="log", yscale="log", ylim=(1e-12, 1e2),
          title=f"Loss after {res.config.steps} GD steps",
          xlabel="learning rate", ylabel="excess loss  L − L*")
    b.xaxis.set_major_locator(plots.ticker.LogLocator(numticks=5))
    b.yaxis.set_major_locator(plots.ticker.LogLocator(numticks=5))
    theory = matplotlib.lines.Line2D([], [], color="0.3", linestyle=":", linewidth=1.2)
    plots.diverged_legend(b, extra=[(theory, r"limit $2/\lambda_{\max}$")],
                          loc="lower left", fontsize=8)
    c.set(yscale="log", title="At the best learning rate", xlabel="GD step",
          ylabel="excess loss  L − L*")
    c.yaxis.set_major_locator(plots.ticker.LogLocator(numticks=5))
    c.legend(loc="lower left")
    return [fig_a, fig_b, fig_c]
