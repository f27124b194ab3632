import pytest
import torch
from torch import nn

from bnlab.layers import BatchNorm, NoisyBatchNorm
from bnlab.models import mlp


def _pair(features=7, **kw):
    torch.manual_seed(0)
    ours, ref = BatchNorm(features, **kw), nn.BatchNorm1d(features, **kw)
    with torch.no_grad():  # non-trivial gamma and beta, the same in both
        ref.weight.uniform_(0.5, 2.0)
        ref.bias.uniform_(-1.0, 1.0)
    ours.load_state_dict(ref.state_dict())
    return ours, ref


def _batch(n=32, features=7, seed=1):
    g = torch.Generator().manual_seed(seed)
    scale = torch.logspace(-2, 2, features)  # features on very different scales
    return torch.randn(n, features, generator=g) * scale + 5 * scale


def test_train_mode_matches_torch_outputs_grads_and_running_stats():
    ours, ref = _pair(momentum=0.2)
    for step in range(5):
        x1 = _batch(seed=step).requires_grad_(True)
        x2 = x1.detach().clone().requires_grad_(True)
        y1, y2 = ours(x1), ref(x2)
        torch.testing.assert_close(y1, y2, rtol=1e-5, atol=1e-5)
        up = torch.randn_like(y1)
        (y1 * up).sum().backward()
        (y2 * up).sum().backward()
        torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(ours.weight.grad, ref.weight.grad, rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(ours.bias.grad, ref.bias.grad, rtol=1e-4, atol=1e-5)
        ours.zero_grad(), ref.zero_grad()
    torch.testing.assert_close(ours.running_mean, ref.running_mean)
    torch.testing.assert_close(ours.running_var, ref.running_var)
    assert ours.num_batches_tracked.item() == ref.num_batches_tracked.item() == 5


def test_eval_mode_matches_torch_and_uses_running_stats():
    ours, ref = _pair()
    for step in range(3):
        ours(_batch(seed=step)), ref(_batch(seed=step))
    ours.eval(), ref.eval()
    x = _batch(n=5, seed=99)
    torch.testing.assert_close(ours(x), ref(x), rtol=1e-5, atol=1e-5)
    # eval output must not depend on the rest of the batch
    torch.testing.assert_close(ours(x[:1]), ours(x)[:1])
    before = ours.running_mean.clone()
    ours(x)
    assert torch.equal(before, ours.running_mean)


def test_normalise_gives_zero_mean_unit_variance():
    ours, _ = _pair()
    x = _batch(n=256)
    x_hat = ours.normalise(x)
    v = x.var(0, correction=0)
    torch.testing.assert_close(x_hat.mean(0), torch.zeros(7), atol=1e-4, rtol=0)
    # variance v / (v + eps): 1 wherever eps is small against the feature's variance
    torch.testing.assert_close(x_hat.var(0, correction=0), v / (v + ours.eps), rtol=1e-3, atol=0)
    assert (x_hat.var(0, correction=0)[v > 1] - 1).abs().max() < 1e-3


def test_noisy_bn_noise_ranges_and_hold():
    torch.manual_seed(0)
    layer = NoisyBatchNorm(6, n_mu=0.5, n_sigma=1.25, r_mu=0.1, r_sigma=0.1)
    ref = nn.BatchNorm1d(6)
    x = _batch(n=64, features=6)
    y, y_ref = layer(x), ref(x)
    scale, shift = layer._noise
    torch.testing.assert_close(y, scale * y_ref + shift)
    assert scale.min() >= 1 - 0.1 and scale.max() <= 1.25 + 0.1
    assert shift.abs().max() <= 0.5 + 0.1
    # per feature, samples scatter by at most 2 r around a shared per-unit shift
    assert (shift.max(0).values - shift.min(0).values).max() <= 0.2 + 1e-6
    assert not torch.allclose(y, y_ref)
    assert not torch.allclose(layer(x), y)          # a fresh draw every step ...
    layer.hold_noise = True
    torch.testing.assert_close(layer(x), layer(x))  # ... unless held
    ref.load_state_dict(layer.state_dict())         # same running statistics
    layer.eval(), ref.eval()
    # evaluation: no draw, the noise's expectation: scale (1 + n_sigma) / 2, shift 0
    torch.testing.assert_close(layer(x), 1.125 * ref(x))
    torch.testing.assert_close(layer(x), layer(x))


def test_noisy_bn_eval_matches_the_average_trained_network():
    """Averaged over many noise draws, the training-mode output equals the evaluation
    output (same batch statistics): evaluation scores the network that was trained."""
    torch.manual_seed(0)
    layer = NoisyBatchNorm(5, n_mu=0.5, n_sigma=2.0, r_mu=0.1, r_sigma=0.3, momentum=1.0)
    x = _batch(n=16, features=5)
    mean_train = torch.stack([layer(x) for _ in range(4000)]).mean(0)
    layer.eval()  # momentum 1: running statistics = the batch's (var unbiased: tiny gap)
    n = x.shape[0]
    layer.running_var.mul_((n - 1) / n)
    torch.testing.assert_close(layer(x), mean_train, atol=0.03, rtol=0)


def test_mlp_layer_order_and_validation():
    kinds = lambda net: [type(m).__name__ for m in net]  # noqa: E731
    assert kinds(mlp(4, 3, 5, 2, act="relu", bn="before")) == [
        "Linear", "BatchNorm1d", "ReLU", "Linear", "BatchNorm1d", "ReLU", "Linear"]
    assert kinds(mlp(4, 3, 5, 1, act="sigmoid", bn="after")) == [
        "Linear", "Sigmoid", "BatchNorm1d", "Linear"]
    assert kinds(mlp(4, 3, 5, 1, bn="before", noisy=True))[1] == "NoisyBatchNorm"
    with pytest.raises(ValueError):
        mlp(4, 3, 5, 1, bn="none", noisy=True)
    with pytest.raises(ValueError):
        mlp(4, 3, 5, 1, bn="middle")
    net = mlp(100, 3, 50, 1, init_gain=2.0)
    assert abs(net[0].weight.std().item() - 2.0 * (2 / 100) ** 0.5) < 0.02
    assert net[0].bias.abs().max().item() == 0.0
