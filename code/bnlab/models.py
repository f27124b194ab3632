"""One MLP builder for every experiment.

    mlp(40, 10, width=100, depth=3, act="sigmoid", bn="before")

gives Linear -> BN -> Sigmoid (x3) -> Linear, an nn.Sequential, so layers can be
indexed, hooked and copied. `bn`: "none", "before" (Linear -> BN -> act, as in Ioffe &
Szegedy) or "after" (Linear -> act -> BN). `noisy=True` swaps BN for NoisyBatchNorm.
"""

import math

import torch
from torch import nn

from .layers import NoisyBatchNorm

ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "linear": nn.Identity}
PLACEMENTS = ("none", "before", "after")


def mlp(
    d_in: int,
    d_out: int,
    width: int,
    depth: int,                    # number of hidden layers
    act: str = "relu",
    bn: str = "none",
    noisy: bool = False,           # NoisyBatchNorm instead of BatchNorm (needs bn != "none")
    bias: bool = True,
    init_std: float | None = None,   # weights ~ N(0, init_std^2), biases 0 (absolute scale)
    init_gain: float | None = None,  # weights ~ N(0, gain^2 * 2 / fan_in), He et al. x gain
) -> nn.Sequential:
    if bn not in PLACEMENTS:
        raise ValueError(f"bn must be one of {PLACEMENTS}, got {bn!r}")
    if noisy and bn == "none":
        raise ValueError("noisy=True needs a BN layer (bn='before' or 'after')")
    norm = NoisyBatchNorm if noisy else nn.BatchNorm1d
    layers: list[nn.Module] = []
    d = d_in
    for _ in range(depth):
        layers.append(nn.Linear(d, width, bias=bias))
        if bn == "before":
            layers.append(norm(width))
        layers.append(ACTIVATIONS[act]())
        if bn == "after":
            layers.append(norm(width))
        d = width
    layers.append(nn.Linear(d, d_out, bias=bias))
    net = nn.Sequential(*layers)
    if init_std is not None or init_gain is not None:
        init_gaussian(net, std=init_std, gain=init_gain)
    return net


@torch.no_grad()
def init_gaussian(net: nn.Module, std: float | None = None, gain: float | None = None):
    """Re-initialise every Linear: weights Gaussian with a fixed `std`, or with
    std = gain * sqrt(2 / fan_in) (gain 1 is He initialisation); biases zero."""
    for m in net.modules():
        if isinstance(m, nn.Linear):
            s = std if std is not None else gain * math.sqrt(2.0 / m.in_features)
            m.weight.normal_(0.0, s)
            if m.bias is not None:
                m.bias.zero_()


def linears(net: nn.Module) -> list[nn.Linear]:
    """The Linear layers of a network in order: "layer i" in the ICS measurements."""
    return [m for m in net.modules() if isinstance(m, nn.Linear)]


# The three networks Santurkar et al. (2018) compare: standard, BN, and BN followed by
# time-varying noise ("noisy BN"). Keyword arguments for `mlp`.
SANTURKAR_NETWORKS = {
    "standard": dict(bn="none"),
    "bn": dict(bn="before"),
    "noisy": dict(bn="before", noisy=True),
}
NETWORK_LABEL = {"standard": "standard", "bn": "BN", "noisy": "noisy BN"}


def hold_noise(net: nn.Module, hold: bool = True):
    """Make every NoisyBatchNorm reuse its last noise draw (probes compare two forward
    passes on the same batch and must not see two different noises)."""
    for m in net.modules():
        if isinstance(m, NoisyBatchNorm):
            m.hold_noise = hold
