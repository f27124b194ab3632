"""Measurements taken during training, for every run of a BatchedMLP at once. Each probe
is a `fit` callback `f(step, net, xb, yb)` that works on that step's batch, evaluates the
network at moved weights through `net(x, "probe", params=...)` (batch statistics, running
averages untouched, the noise held fixed), and keeps its numbers on the device.

    ics            Santurkar et al. (2018), Def. 2.1: layer i's gradient before and after
                   the layers below it take their SGD step, on the same batch
    landscape      their section 3.1: loss and gradient along -g for a range of step sizes
    ShiftProbe     how much each layer's output distribution (batch mean and variance per
                   unit) moves from one training step to the next
"""

import numpy as np
import torch

from .batched import cross_entropy


def _flat_norm(ts) -> torch.Tensor:
    """(R,) l2 norm over every tensor of a list of (R, ...) tensors."""
    return torch.sqrt(sum((t.flatten(1) ** 2).sum(1) for t in ts))


def ics(net, x, y, lr, loss_fn=cross_entropy, layers=None):
    """ICS of every Linear layer but the first (which has nothing below it), or of the
    1-based `layers` only.

    lr: (R,) the step the lower layers take. Returns (l2, cos, norm), each
    (R, len(layers)) (default: layers 2.., so column i is layer i + 2),
    norm = ||G_i||; nothing of the network is changed."""
    net.hold_noise(x.shape[1])
    params = net.flat()
    g0 = torch.autograd.grad(loss_fn(net(x, "probe"), y).sum(), params)
    step = lr.view(-1, 1, 1)
    blocks = net.blocks()
    sizes = [len(b) for b in blocks]
    l2, cos, norm = [], [], []
    for i in ([l - 1 for l in layers] if layers else range(1, len(blocks))):  # Linear i + 1
        below = sum(sizes[:i])                               # parameters of the layers below
        moved = [(p.detach() - step * g) if k < below else p
                 for k, (p, g) in enumerate(zip(params, g0))]
        w = params[below]                                    # layer i + 1's weight
        G2 = torch.autograd.grad(loss_fn(net(x, "probe", params=moved), y).sum(), w)[0]
        G = g0[below]
        l2.append((G - G2).flatten(1).norm(dim=1))
        cos.append(torch.nn.functional.cosine_similarity(G.flatten(1), G2.flatten(1), dim=1))
        norm.append(G.flatten(1).norm(dim=1))
    return torch.stack(l2, 1), torch.stack(cos, 1), torch.stack(norm, 1)


def landscape(net, x, y, etas, loss_fn=cross_entropy):
    """Loss and gradient along -g for each step size; etas: (R, E).
    Returns (loss0 (R,), losses (R, E), changes (R, E), ||g|| (R,))."""
    net.hold_noise(x.shape[1])
    params = net.flat()
    loss0 = loss_fn(net(x, "probe"), y)
    g = torch.autograd.grad(loss0.sum(), params)
    losses, changes = [], []
    for e in range(etas.shape[1]):
        eta = etas[:, e].view(-1, 1, 1)
        moved = [(p.detach() - eta * gi).requires_grad_() for p, gi in zip(params, g)]
        loss = loss_fn(net(x, "probe", params=moved), y)
        g_eta = torch.autograd.grad(loss.sum(), moved)
        losses.append(loss.detach())
        changes.append(_flat_norm([a - b for a, b in zip(g_eta, g)]))
    return loss0.detach(), torch.stack(losses, 1), torch.stack(changes, 1), _flat_norm(g)


class ICSProbe:
    """`ics` every `every` steps with the training step size `lr` ((R,) tensor)."""

    def __init__(self, every, lr, loss_fn=cross_entropy, layers=None):
        self.every, self.lr, self.loss_fn, self.layers = every, lr, loss_fn, layers
        self.step, self.l2, self.cos, self.norm = [], [], [], []

    def __call__(self, step, net, xb, yb):
        if step % self.every == 0:
            l2, cos, norm = ics(net, xb, yb, self.lr, self.loss_fn, self.layers)
            self.step.append(step)
            self.l2.append(l2)
            self.cos.append(cos)
            self.norm.append(norm)

    def arrays(self):
        """(R, probes, layers - 1) each: l2, cos, ||G||."""
        f = lambda a: torch.stack(a, 1).cpu().numpy()  # noqa: E731
        return f(self.l2), f(self.cos), f(self.norm)


class LandscapeProbe:
    """`landscape` every `every` steps; etas: (R, E) step sizes."""

    def __init__(self, every, etas, loss_fn=cross_entropy):
        self.every, self.etas, self.loss_fn = every, etas, loss_fn
        self.step, self.loss0, self.losses, self.changes, self.gnorm = [], [], [], [], []

    def __call__(self, step, net, xb, yb):
        if step % self.every:
            return
        loss0, losses, changes, gnorm = landscape(net, xb, yb, self.etas, self.loss_fn)
        self.step.append(step)
        self.loss0.append(loss0)
        self.losses.append(losses)
        self.changes.append(changes)
        self.gnorm.append(gnorm)

    def arrays(self):
        """loss0 (R, probes), losses (R, probes, E), changes (R, probes, E), gnorm (R, probes)."""
        f = lambda a: torch.stack(a, 1).cpu().numpy()  # noqa: E731
        return f(self.loss0), f(self.losses), f(self.changes), f(self.gnorm)


class ShiftProbe:
    """Per-step change of the distribution of one hidden block's output (the input of the
    next Linear layer): mean over units of |mu_t - mu_{t-1}| and |var_t - var_{t-1}|,
    mu and var over each step's mini-batch, averaged over the run. It reads what the
    previous training step's forward pass recorded, so it costs no extra pass."""

    def __init__(self, block: int):
        self.block = block
        self.prev = None
        self.d_mean = self.d_var = None
        self.n = 0

    @torch.no_grad()
    def __call__(self, step, net, xb, yb):
        net.record_modes = {"train"}
        if not net.out:
            return
        h = net.out[self.block]                              # (R, B, units)
        var, mu = torch.var_mean(h, dim=1, correction=0)     # (R, units) each
        if self.prev is not None:
            dm = (mu - self.prev[0]).abs().mean(1)
            dv = (var - self.prev[1]).abs().mean(1)
            self.d_mean = dm if self.d_mean is None else self.d_mean + dm
            self.d_var = dv if self.d_var is None else self.d_var + dv
            self.n += 1
        self.prev = (mu, var)

    def arrays(self):
        """(R,) mean per-step change of the batch mean and of the batch variance."""
        if not self.n:
            nan = np.full(self.prev[0].shape[0] if self.prev else 0, np.nan)
            return nan, nan
        return (self.d_mean / self.n).cpu().numpy(), (self.d_var / self.n).cpu().numpy()


class Probed:
    """One network's landscape measurements over seeds (from LandscapeProbe.arrays)."""

    def __init__(self, steps, etas, loss0, losses, changes, gnorm, final_loss):
        self.steps = list(steps)
        self.etas = np.asarray(etas)          # (E,) step sizes (the same for every seed)
        self.loss0 = loss0                    # (seeds, probes) loss at the probe point
        self.losses = losses                  # (seeds, probes, E) L(w - eta g)
        self.changes = changes                # (seeds, probes, E) ||grad L(w - eta g) - g||
        self.gnorm = gnorm                    # (seeds, probes) ||g||
        self.final_loss = final_loss          # (seeds,) training loss at the end
        both = np.concatenate([losses, loss0[..., None]], -1)
        both = np.where(np.isfinite(both), both, np.inf)
        self.loss_range = np.stack([both.min(-1), both.max(-1)], -1)              # (S, P, 2)
        self.grad_change = np.stack([changes.min(-1), changes.max(-1)], -1)      # (S, P, 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.beta = np.max(changes / (self.etas * gnorm[..., None]), -1)     # (S, P)

    def seed_spread(self, what="loss") -> np.ndarray:
        """(seeds,) mean over probes of (max - min) over the step sizes."""
        a = self.loss_range if what == "loss" else self.grad_change
        with np.errstate(invalid="ignore"):
            return np.mean(a[..., 1] - a[..., 0], axis=1)

    def seed_beta(self) -> np.ndarray:
        """(seeds,) effective beta-smoothness, averaged over probes."""
        return self.beta.mean(1)

    def along(self, what="loss") -> np.ndarray:
        """(seeds, E) loss relative to the loss at the probe point, or gradient change
        relative to ||g||, against the step size, averaged over probes (geometric mean)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            r = (self.losses / self.loss0[..., None] if what == "loss"
                 else self.changes / self.gnorm[..., None])
            return 10 ** np.nanmean(np.log10(r), axis=1)
