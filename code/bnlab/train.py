"""A small SGD loop. Measurements hang off it as callbacks, so the loop stays the same
for every experiment:

    hist = train(model, data, steps=2000, lr=0.5, batch_size=60, seed=0,
                 eval_every=100, callbacks=[probe])

A callback is any `f(step, model, xb, yb)`; it runs before the update of `step` and sees
that step's mini-batch (the ICS probe needs exactly that batch).
"""

import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .data import Split

Callback = Callable[[int, nn.Module, torch.Tensor, torch.Tensor], None]


def set_seed(seed: int):
    """The one place that seeds torch (initialisation, noisy BN's noise)."""
    torch.manual_seed(seed)


@contextmanager
def rng_preserved(device):
    """Run a block without moving torch's RNG streams on (CPU, and `device` if CUDA):
    probes that draw random numbers must not change the training run they observe."""
    dev = torch.device(device)
    if dev.type == "cpu":  # the CPU stream is always forked
        with torch.random.fork_rng(devices=[]):
            yield
    else:
        index = dev.index if dev.index is not None else 0
        with torch.random.fork_rng(devices=[index], device_type=dev.type):
            yield


@dataclass
class History:
    """What one training run leaves behind."""

    loss: list[float] = field(default_factory=list)      # mini-batch loss, every step
    eval_step: list[int] = field(default_factory=list)   # steps where the test set was scored
    test_acc: list[float] = field(default_factory=list)  # fraction correct at those steps
    diverged: bool = False                               # loss went non-finite or huge

    def final_loss(self, last: int = 50) -> float:
        """Mean training loss over the last `last` steps; inf for a diverged run."""
        return math.inf if self.diverged else sum(self.loss[-last:]) / len(self.loss[-last:])

    @property
    def final_acc(self) -> float:
        return self.test_acc[-1]


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of correct argmax predictions, in eval mode (BN uses running statistics)."""
    was_training = model.training
    model.eval()
    acc = (model(x).argmax(1) == y).float().mean().item()
    model.train(was_training)
    return acc


def train(
    model: nn.Module,
    data: Split,
    *,
    steps: int,
    lr: float,
    batch_size: int | None,        # None: the whole training set every step (full-batch GD)
    seed: int,                     # seeds the order of the mini-batches
    eval_every: int = 0,           # 0: never score the test set
    loss_fn=F.cross_entropy,
    callbacks: tuple[Callback, ...] = (),
    diverge_above: float = 1e3,    # a loss above this (or nan/inf) stops the run
) -> History:
    """Plain SGD (no momentum, no weight decay) on mini-batches drawn with replacement,
    or full-batch gradient descent when `batch_size` is None."""
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    order = torch.Generator().manual_seed(seed)  # CPU generator: same batches on any device
    n = data.x_train.shape[0]
    hist = History()
    model.train()
    for step in range(steps + 1):
        if eval_every and step % eval_every == 0:
            hist.eval_step.append(step)
            hist.test_acc.append(accuracy(model, data.x_test, data.y_test))
        if step == steps:
            break
        if batch_size is None:
            xb, yb = data.x_train, data.y_train
        else:
            idx = torch.randint(n, (batch_size,), generator=order).to(data.x_train.device)
            xb, yb = data.x_train[idx], data.y_train[idx]
        for cb in callbacks:
            cb(step, model, xb, yb)
        loss = loss_fn(model(xb), yb)
        value = loss.item()
        if not math.isfinite(value) or value > diverge_above:
            hist.diverged = True
            break
        hist.loss.append(value)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return hist


def grads(model: nn.Module, x, y, loss_fn=F.cross_entropy, params=None) -> list[torch.Tensor]:
    """Gradients of the loss on (x, y) with respect to `params` (default: all), without
    touching `.grad`. Returns detached tensors shaped like the parameters."""
    params = list(model.parameters()) if params is None else list(params)
    loss = loss_fn(model(x), y)
    return [g.detach() for g in torch.autograd.grad(loss, params)]
