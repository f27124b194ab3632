"""Batch normalisation written out, and the "noisy" BatchNorm of Santurkar et al. (2018).

For a batch of activations x with shape (batch, features), BN normalises each feature
over the batch and then rescales it with two learnt vectors:

    mu    = mean_b x[b]                   (features,)
    var   = mean_b (x[b] - mu)^2          (features,)  biased: divides by the batch size
    x_hat = (x - mu) / sqrt(var + eps)    (batch, features) zero mean, unit variance
    y     = gamma * x_hat + beta          (batch, features) gamma, beta are learnt

At evaluation time mu and var are replaced by running averages collected in training.
"""

import torch
from torch import nn


class BatchNorm(nn.Module):
    """BatchNorm for (batch, features) inputs, line by line. Same parameters, buffers and
    numbers as `torch.nn.BatchNorm1d` (tests/unit/experiments/test_layers.py checks that),
    so a state_dict moves between the two. The models use torch's fused version, which is
    about twice as fast on a CPU; this one is for reading and for the histogram figure."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1):
        super().__init__()
        self.eps = eps            # keeps 1/sqrt(var) finite for a constant feature
        self.momentum = momentum  # weight of the newest batch in the running averages
        self.weight = nn.Parameter(torch.ones(num_features))  # gamma
        self.bias = nn.Parameter(torch.zeros(num_features))   # beta
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def normalise(self, x: torch.Tensor) -> torch.Tensor:
        """x_hat: zero mean and unit variance per feature. Updates the running statistics
        in training mode, exactly as torch does (running_var stores the unbiased variance)."""
        if self.training:
            var, mu = torch.var_mean(x, dim=0, correction=0)  # (features,) each
            with torch.no_grad():
                n = x.shape[0]
                self.running_mean.lerp_(mu, self.momentum)
                self.running_var.lerp_(var * (n / (n - 1)), self.momentum)
                self.num_batches_tracked += 1
        else:
            mu, var = self.running_mean, self.running_var
        return (x - mu) / torch.sqrt(var + self.eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * self.normalise(x) + self.bias


# Santurkar et al.'s noise parameters (their Algorithm 1), the defaults of NoisyBatchNorm
NOISE = dict(n_mu=0.5, n_sigma=1.25, r_mu=0.1, r_sigma=0.1)


class NoisyBatchNorm(nn.BatchNorm1d):
    """BatchNorm followed by noise whose distribution changes at every step
    (our reading of Santurkar et al. 2018, Algorithm 1). In training mode, each call:

        m_j ~ U(-n_mu, n_mu),  s_j ~ U(1, n_sigma)                 one per feature j
        m_bj ~ U(m_j - r_mu, m_j + r_mu),  s_bj ~ U(s_j - r_sigma, s_j + r_sigma)
        y_bj = s_bj * BN(x)_bj + m_bj                              per sample b

    so the next layer sees inputs with a non-zero mean and non-unit variance that jump
    around from step to step: a deliberately large "internal covariate shift".

    Evaluation mode applies the noise's expectation instead of a draw: E[s_bj] =
    (1 + n_sigma) / 2 and E[m_bj] = 0, so the evaluated network is, on average, the one
    that was trained (dropping the noise altogether would shrink every layer's output by
    that factor, 1.125 per layer for n_sigma = 1.25, and score a different network).
    Noise comes from torch's global RNG (seeded by `train.set_seed`); set
    `hold_noise = True` to reuse the last draw (the probes do).
    """

    def __init__(self, num_features: int, n_mu=NOISE["n_mu"], n_sigma=NOISE["n_sigma"],
                 r_mu=NOISE["r_mu"], r_sigma=NOISE["r_sigma"], **kw):
        super().__init__(num_features, **kw)
        self.n_mu, self.n_sigma, self.r_mu, self.r_sigma = n_mu, n_sigma, r_mu, r_sigma
        self.hold_noise = False
        self._noise = None  # (scale, shift), each (batch, features)

    def _draw(self, batch: int, like: torch.Tensor):
        u = lambda *shape: torch.rand(*shape, device=like.device, dtype=like.dtype)  # noqa: E731
        f = like.shape[1]
        m = (2 * u(f) - 1) * self.n_mu                    # (features,) in [-n_mu, n_mu]
        s = 1 + u(f) * (self.n_sigma - 1)                 # (features,) in [1, n_sigma]
        shift = m + (2 * u(batch, f) - 1) * self.r_mu     # (batch, features)
        scale = s + (2 * u(batch, f) - 1) * self.r_sigma  # (batch, features)
        return scale, shift

    @property
    def expected_scale(self) -> float:
        """E[s_bj]: s_j ~ U(1, n_sigma), and the per-sample jitter has mean zero."""
        return (1 + self.n_sigma) / 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = super().forward(x)
        if not self.training:
            return self.expected_scale * y  # E[shift] = 0
        if not (self.hold_noise and self._noise is not None and self._noise[0].shape == y.shape):
            self._noise = self._draw(x.shape[0], y)
        scale, shift = self._noise
        return scale * y + shift
