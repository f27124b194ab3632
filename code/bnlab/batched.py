"""Many independent training runs of one architecture at once ("runs": seeds x settings).

Every parameter carries a leading run dimension R, so one step of R networks is one
batched matrix product per layer (torch.baddbmm) instead of R small ones, and the loop
never waits on the host: losses, accuracies and divergence flags stay on the device
until the run ends, and mini-batch indices are drawn on the device.

    net = BatchedMLP(seeds=(0, 1, 2), d_in=40, d_out=10, width=100, depth=3,
                     act="sigmoid", norm="bn", init_std=0.05, device=DEVICE)
    trace = fit(net, d, steps=2000, lr=torch.tensor([0.5, 0.5, 0.5]), batch_size=60,
                eval_every=100)

Run r is initialised from `seeds[r]` alone (a CPU generator), so two networks that differ
only in normalisation or learning rate start from the same weights for the same seed,
and see the same mini-batches (`fit` draws one batch order per seed): the comparisons
are paired. The runs are independent: the gradient of the summed per-run losses with
respect to run r's parameters is run r's own gradient.

Shapes: x (R, B, d_in) -> logits (R, B, d_out); weights (R, fan_in, fan_out); biases,
gamma, beta (R, 1, width).
"""

import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .data import Split
from .layers import NOISE

ACTIVATIONS = {"relu": torch.relu, "sigmoid": torch.sigmoid, "linear": lambda z: z}
# none: plain; bn: BatchNorm; noisy: BN + Santurkar's time-varying noise (Algorithm 1);
# noise: the same noise without BN (their control); l1/l2/linf: centring, then division by
# the layer's mean lp norm (their section 3.3), with the same learnt gamma and beta.
NORMS = ("none", "bn", "noisy", "noise", "l1", "l2", "linf")
LP = {"l1": 1.0, "l2": 2.0, "linf": math.inf}
EPS = 1e-5          # as torch's BatchNorm1d
TRAIN_PROBE = 1000  # training accuracy is scored on this many training examples (fixed)
MOMENTUM = 0.1      # weight of the newest batch in the running statistics


class BatchedMLP(nn.Module):
    """R MLPs with the same architecture (`init_gain` may be one value per run): `depth` hidden blocks Linear -> [norm] -> act
    (placement "before", Ioffe & Szegedy's) or Linear -> act -> [norm] ("after"), then a
    Linear output layer. Modes of `forward`: "train" (batch statistics, running averages
    updated, fresh noise), "eval" (running averages, the noise's expectation), "probe"
    (batch statistics, nothing updated, the noise held by `hold_noise`)."""

    def __init__(self, seeds, d_in, d_out, width, depth, act="relu", norm="none",
                 place="before", bias=True, init_std=None, init_gain=None, device="cpu",
                 dtype=torch.float32, noise_seed=0):
        super().__init__()
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
        if place not in ("before", "after"):
            raise ValueError(f"place must be 'before' or 'after', got {place!r}")
        self.seeds, self.act, self.norm, self.place = tuple(seeds), act, norm, place
        self.depth, self.width = depth, width
        R = len(self.seeds)
        dims = [d_in] + [width] * depth + [d_out]
        ws, bs = [[] for _ in dims[1:]], [[] for _ in dims[1:]]
        gains = (init_gain if isinstance(init_gain, (tuple, list)) else [init_gain] * R)
        for seed, gain in zip(self.seeds, gains):  # run r's weights from its seed alone
            g = torch.Generator().manual_seed(int(seed))
            for i, (fan_in, fan_out) in enumerate(zip(dims[:-1], dims[1:])):
                if init_std is not None or gain is not None:
                    s = init_std if init_std is not None else gain * math.sqrt(2 / fan_in)
                    w, b = torch.randn(fan_out, fan_in, generator=g, dtype=torch.float64) * s, None
                else:  # torch's nn.Linear default: U(-k, k), k = 1/sqrt(fan_in)
                    k = fan_in ** -0.5
                    w = (torch.rand(fan_out, fan_in, generator=g, dtype=torch.float64) * 2 - 1) * k
                    b = (torch.rand(fan_out, generator=g, dtype=torch.float64) * 2 - 1) * k
                ws[i].append(w.T)                          # (fan_in, fan_out): x @ W
                bs[i].append(torch.zeros(fan_out, dtype=torch.float64) if b is None else b)
        kw = dict(device=device, dtype=dtype)
        self.W = nn.ParameterList([nn.Parameter(torch.stack(w).to(**kw)) for w in ws])
        self.b = nn.ParameterList([nn.Parameter(torch.stack(b)[:, None, :].to(**kw))
                                   for b in bs]) if bias else None
        normed = norm not in ("none", "noise")
        self.gamma = nn.ParameterList([nn.Parameter(torch.ones(R, 1, width, **kw))
                                       for _ in range(depth)]) if normed else None
        self.beta = nn.ParameterList([nn.Parameter(torch.zeros(R, 1, width, **kw))
                                      for _ in range(depth)]) if normed else None
        self.running_mean = [torch.zeros(R, 1, width, **kw) for _ in range(depth)]  # lp norms
        self.running_scale = [torch.ones(R, 1, 1, **kw) for _ in range(depth)]
        self.bn_mean = [torch.zeros(R * width, **kw) for _ in range(depth)]  # BN, flat (R * f)
        self.bn_var = [torch.ones(R * width, **kw) for _ in range(depth)]
        # noise comes from its own device generator, so probes and evaluation never move it
        self.noise_gen = torch.Generator(device=device).manual_seed(noise_seed)
        self.held = None          # noise per block used in "probe" mode
        # forward passes in these modes keep each hidden block's activation input (pre)
        # and output (out), detached: what the probes read
        self.record_modes: set = set()
        self.pre, self.out = [], []

    @property
    def runs(self) -> int:
        return len(self.seeds)

    def blocks(self) -> list[list[nn.Parameter]]:
        """The parameters of each Linear layer (1-based "layer i" is blocks()[i - 1]) with
        the normalisation that follows it in the same hidden block."""
        out = []
        for i, w in enumerate(self.W):
            blk = [w] + ([self.b[i]] if self.b is not None else [])
            if self.gamma is not None and i < self.depth:
                blk += [self.gamma[i], self.beta[i]]
            out.append(blk)
        return out

    def flat(self) -> list[nn.Parameter]:
        return [p for blk in self.blocks() for p in blk]

    # -- noise (Santurkar et al. 2018, Algorithm 1; our reading, see layers.NoisyBatchNorm)
    def _draw(self, batch: int, g: torch.Generator | None = None):
        g = self.noise_gen if g is None else g
        R, f = self.runs, self.width
        like = self.W[0]
        u = lambda *s: torch.rand(*s, generator=g, device=like.device, dtype=like.dtype)  # noqa: E731
        m = (2 * u(R, 1, f) - 1) * NOISE["n_mu"]                     # (R, 1, f)
        s = 1 + u(R, 1, f) * (NOISE["n_sigma"] - 1)                  # (R, 1, f)
        shift = m + (2 * u(R, batch, f) - 1) * NOISE["r_mu"]         # (R, B, f)
        scale = s + (2 * u(R, batch, f) - 1) * NOISE["r_sigma"]      # (R, B, f)
        return scale, shift

    def hold_noise(self, batch: int, seed: int = 12345):
        """Fix one noise draw per block for "probe" mode, from a generator of its own."""
        if self.norm in ("noisy", "noise"):
            g = torch.Generator(device=self.W[0].device).manual_seed(seed)
            self.held = [self._draw(batch, g) for _ in range(self.depth)]

    def _normalise(self, i, z, mode, gamma, beta):
        if self.norm == "none":
            return z
        if self.norm == "noise":
            return self._noise(i, z, mode)
        if self.norm in LP:
            if mode == "eval":
                mu, scale = self.running_mean[i], self.running_scale[i]
            else:
                mu = z.mean(1, keepdim=True)                         # (R, 1, f)
                zc = z - mu
                p = LP[self.norm]
                if math.isinf(p):
                    per = zc.abs().amax(-1, keepdim=True)            # (R, B, 1)
                else:  # the lp norm of each example's centred vector, per unit of width
                    per = zc.abs().pow(p).mean(-1, keepdim=True).pow(1 / p)
                scale = per.mean(1, keepdim=True)                    # (R, 1, 1)
                if mode == "train":
                    with torch.no_grad():
                        self.running_mean[i].lerp_(mu, MOMENTUM)
                        self.running_scale[i].lerp_(scale, MOMENTUM)
            return gamma * (z - mu) / (scale + EPS) + beta
        # torch's fused batch_norm on a (B, R * f) view: every (run, unit) is a channel
        # normalised over the batch; three times faster than the formula written out
        R, B, f = z.shape
        train = mode == "train"
        y = F.batch_norm(z.transpose(0, 1).reshape(B, R * f),
                         self.bn_mean[i] if mode != "probe" else None,
                         self.bn_var[i] if mode != "probe" else None,
                         gamma.reshape(-1), beta.reshape(-1), train or mode == "probe",
                         MOMENTUM, EPS).view(B, R, f).transpose(0, 1)
        return self._noise(i, y, mode) if self.norm == "noisy" else y

    def _noise(self, i, y, mode):
        if mode == "eval":  # the noise's expectation: E[scale] = (1 + n_sigma) / 2, E[shift] = 0
            return (1 + NOISE["n_sigma"]) / 2 * y
        if mode == "probe":
            if self.held is None or self.held[i][0].shape[1] != y.shape[1]:
                self.hold_noise(y.shape[1])
            scale, shift = self.held[i]
        else:
            scale, shift = self._draw(y.shape[1])
        return scale * y + shift

    def forward(self, x, mode="train", params=None):
        """x: (R, B, d_in). `params`: tensors in the order of `flat()` to use instead of
        the parameters (the probes evaluate the network at moved weights)."""
        blocks = self.blocks()
        if params is not None:
            it = iter(params)
            blocks = [[next(it) for _ in blk] for blk in blocks]
        act = ACTIVATIONS[self.act]
        record = mode in self.record_modes
        if record:
            self.pre, self.out = [], []
        h = x
        for i, blk in enumerate(blocks):
            w, rest = blk[0], blk[1:]
            b = rest.pop(0) if self.b is not None else None
            z = torch.baddbmm(b, h, w) if b is not None else torch.bmm(h, w)
            if i == self.depth:
                return z
            gamma, beta = (rest + [None, None])[:2]
            if self.place == "before":
                z = self._normalise(i, z, mode, gamma, beta)
                h = act(z)
            else:
                h = self._normalise(i, act(z), mode, gamma, beta)
            if record:
                self.pre.append(z.detach())
                self.out.append(h.detach())
        return h


def cross_entropy(logits, y):
    """(R,) mean cross-entropy of each run. logits (R, B, k), y (R, B)."""
    R, B, k = logits.shape
    return F.cross_entropy(logits.reshape(R * B, k), y.reshape(R * B),
                           reduction="none").view(R, B).mean(1)


def mse(out, y):
    """(R,) mean squared error of each run, as F.mse_loss (mean over batch and outputs)."""
    return ((out - y) ** 2).mean((1, 2))


@torch.no_grad()
def accuracy(net, x, y, mode="eval"):
    """(R,) fraction correct of each run; x (n, d) shared by all runs or (R, n, d)."""
    xs = x.expand(net.runs, *x.shape) if x.dim() == 2 else x
    return (net(xs, mode).argmax(-1) == y).float().mean(-1)


@dataclass
class Trace:
    """What `fit` leaves behind, as numpy arrays (runs last)."""

    loss: np.ndarray                 # (steps, R) mini-batch loss (nan after divergence)
    eval_step: list                  # steps at which the model was scored
    test_acc: np.ndarray             # (evals, R) test accuracy, eval mode
    train_acc: np.ndarray            # (evals, R) accuracy on the training probe set, eval mode
    diverged: np.ndarray             # (R,) bool
    extra: dict = field(default_factory=dict)  # observers' arrays

    def final_loss(self, last: int = 50) -> np.ndarray:
        """(R,) mean training loss over the last `last` steps; inf for a diverged run."""
        return np.where(self.diverged, np.inf, self.loss[-last:].mean(0))

    def steps_to(self, target: float, which="train") -> np.ndarray:
        """(R,) first scored step with accuracy >= target (nan: never)."""
        acc = self.train_acc if which == "train" else self.test_acc
        ok = acc >= target                                     # (evals, R)
        first = ok.argmax(0)
        return np.where(ok.any(0), np.asarray(self.eval_step)[first], np.nan).astype(float)


def fit(net: BatchedMLP, data: Split, *, steps: int, lr, batch_size: int | None,
        loss_fn=cross_entropy, eval_every: int = 0, order_seed: int = 0,
        train_probe: int = TRAIN_PROBE, callbacks=(), diverge_above: float = 1e3) -> Trace:
    """Plain SGD for every run at once. `lr`: a float or an (R,) tensor of per-run rates.

    Mini-batches are drawn with replacement, one index set per seed per step (row s of
    one draw from a device generator seeded with `order_seed`), shared by every run
    with that seed: same seed, same batch order, whatever the run's setting and
    whichever other runs share the batch. `batch_size=None`:
    full-batch gradient descent (then `data.x_train` may be (R, n, d): one data set per
    run). A run whose loss turns non-finite or exceeds `diverge_above` is frozen and
    marked diverged. Callbacks `f(step, net, xb, yb)` run before each update on that
    step's batch; anything they keep should stay on the device.
    """
    dev = net.W[0].device
    R = net.runs
    lr = torch.as_tensor(lr, dtype=net.W[0].dtype, device=dev).expand(R)
    # row s of each step's index draw belongs to seed s, whichever seeds run beside it
    slot = torch.tensor(net.seeds, device=dev)                            # (R,)
    rows = max(net.seeds) + 1
    gen = torch.Generator(device=dev).manual_seed(order_seed)
    x, y = data.x_train, data.y_train
    xp, yp = x[..., :train_probe, :], y[..., :train_probe]
    params = net.flat()
    losses = torch.empty(steps, R, device=dev)
    alive = torch.ones(R, dtype=torch.bool, device=dev)
    evals, test_acc, train_acc = [], [], []
    net.train()
    for step in range(steps + 1):
        if eval_every and (step % eval_every == 0 or step == steps):
            evals.append(step)
            test_acc.append(accuracy(net, data.x_test, data.y_test))
            train_acc.append(accuracy(net, xp, yp))
        if step == steps:
            break
        if batch_size is None:
            xb = x if x.dim() == 3 else x.expand(R, *x.shape)
            yb = y if x.dim() == 3 else y.expand(R, *y.shape)
        else:
            idx = torch.randint(x.shape[0], (rows, batch_size), generator=gen,
                                device=dev)[slot]                            # (R, B)
            xb, yb = x[idx], y[idx]
        for cb in callbacks:
            cb(step, net, xb, yb)
        loss = loss_fn(net(xb, "train"), yb)                                 # (R,)
        alive &= torch.isfinite(loss) & (loss <= diverge_above)
        losses[step] = torch.where(alive, loss.detach(), torch.nan)
        grads = torch.autograd.grad(loss.sum(), params)
        with torch.no_grad():
            step_size = torch.where(alive, lr, 0.0).view(R, 1, 1)  # every parameter is (R, a, b)
            for p, g in zip(params, grads):
                p.sub_(step_size * torch.nan_to_num(g, nan=0.0, posinf=0.0, neginf=0.0))
    return Trace(losses.cpu().numpy(), evals,
                 torch.stack(test_acc).cpu().numpy() if evals else np.zeros((0, R)),
                 torch.stack(train_acc).cpu().numpy() if evals else np.zeros((0, R)),
                 (~alive).cpu().numpy())
