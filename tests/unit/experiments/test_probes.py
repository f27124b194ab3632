"""The ICS and smoothness probes must observe a model without changing it."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from bnlab import data
from bnlab.ics import ICSProbe, ics
from bnlab.models import mlp
from bnlab.smoothness import LandscapeProbe, deep_linear, landscape, linear_task
from bnlab.train import set_seed, train


def _trained(kind, steps=5):
    set_seed(0)
    kw = {"plain": dict(bn="none"), "bn": dict(bn="before"),
          "noisy": dict(bn="before", noisy=True)}[kind]
    net = mlp(8, 3, 16, 3, act="relu", init_gain=1.0, **kw)
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(32, 8, generator=g), torch.randint(0, 3, (32,), generator=g)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
    return net, x, y  # leaves .grad populated on purpose


def _snapshot(net):
    state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    grads = [p.grad.clone() for p in net.parameters()]
    return state, grads, net.training, torch.get_rng_state()


def _assert_same(net, snap):
    state, grads, training, rng = snap
    for k, v in net.state_dict().items():
        assert torch.equal(v, state[k]), k  # parameters, running stats, counters
    for p, g in zip(net.parameters(), grads):
        assert torch.equal(p.grad, g)
    assert net.training == training
    assert torch.equal(torch.get_rng_state(), rng)


@pytest.mark.parametrize("kind", ["plain", "bn", "noisy"])
def test_ics_probe_leaves_model_unchanged(kind):
    net, x, y = _trained(kind)
    snap = _snapshot(net)
    l2, cos, norm = ics(net, x, y, lr=0.1)
    _assert_same(net, snap)
    assert l2.shape == cos.shape == norm.shape == (3,)  # 4 Linear layers, ICS for 2..4
    assert np.all(np.isfinite(l2)) and np.all(l2 > 0) and np.all(cos <= 1 + 1e-6)


@pytest.mark.parametrize("kind", ["plain", "bn", "noisy"])
def test_landscape_probe_leaves_model_unchanged(kind):
    net, x, y = _trained(kind)
    net.eval()  # the probe must also restore the mode (it measures in train mode)
    snap = _snapshot(net)
    loss0, losses, changes, gnorm = landscape(net, x, y, etas=[0.01, 0.1, 1.0])
    _assert_same(net, snap)
    assert losses.shape == changes.shape == (3,) and gnorm > 0


@pytest.mark.parametrize("kind", ["plain", "noisy"])
def test_ics_with_zero_lr_is_zero(kind):
    """No update below layer i means G' = G: distance 0, cosine 1 (noise is held)."""
    net, x, y = _trained(kind)
    l2, cos, _ = ics(net, x, y, lr=0.0)
    np.testing.assert_allclose(l2, 0.0, atol=1e-7)
    np.testing.assert_allclose(cos, 1.0, atol=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_landscape_of_a_quadratic_has_constant_beta(seed):
    """Linear model + MSE is quadratic: grad change = H (eta g), so change / (eta ||g||)
    is the same for every eta, and the loss along -g is a parabola. Float64, so the
    identities hold to rounding whatever the seed draws."""
    torch.manual_seed(seed + 100)  # the global RNG must not matter: deep_linear has its own
    net = deep_linear(depth=1, width=4, seed=seed).double()
    d = linear_task(seed, width=4, n_train=64, n_test=1)
    x, y = d.x_train.double(), d.y_train.double() + 1.0  # cannot fit the offset: loss > 0
    etas = np.array([0.01, 0.1, 0.5])
    loss0, losses, changes, gnorm = landscape(net, x, y, etas, F.mse_loss)
    ratio = changes / (etas * gnorm)
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-3)
    # parabola: L(eta) = L0 - eta |g|^2 + eta^2 (curvature) / 2
    a = (losses - loss0 + etas * gnorm**2) / etas**2
    np.testing.assert_allclose(a, a[0], rtol=1e-3)


def test_deep_linear_is_seeded_and_leaves_the_global_rng_alone():
    torch.manual_seed(5)
    state = torch.get_rng_state()
    a, b = deep_linear(depth=3, width=4, seed=7), deep_linear(depth=3, width=4, seed=7)
    assert torch.equal(torch.get_rng_state(), state)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    c = deep_linear(depth=3, width=4, seed=8)
    assert not torch.equal(a[0].weight, c[0].weight)
    assert abs(deep_linear(depth=1, width=200, seed=0)[0].weight.std().item() - 200**-0.5) < 0.01


@pytest.mark.parametrize("kind", ["bn", "noisy"])
def test_probes_do_not_change_the_training_run(kind):
    """Training with probes attached gives bit-identical losses to training without."""
    d = data.mnist1d()
    d = data.Split(d.x_train[:512], d.y_train[:512], d.x_test[:128], d.y_test[:128])
    runs = []
    for callbacks in ((), (ICSProbe(every=3, lr=0.1), LandscapeProbe(every=4, etas=[0.1]))):
        set_seed(0)
        net = mlp(40, 10, 16, 3, act="relu", bn="before", noisy=kind == "noisy")
        h = train(net, d, steps=12, lr=0.1, batch_size=32, seed=0, eval_every=6,
                  callbacks=callbacks)
        runs.append((h.loss, h.test_acc, [v.clone() for v in net.state_dict().values()]))
        if callbacks:
            assert len(callbacks[0].l2) == 4 and len(callbacks[1].beta) == 3
    assert runs[0][0] == runs[1][0] and runs[0][1] == runs[1][1]
    assert all(torch.equal(a, b) for a, b in zip(runs[0][2], runs[1][2]))


def test_train_without_batch_size_is_full_batch_gradient_descent():
    d = linear_task(0, width=3, n_train=50, n_test=5)
    net, ref = deep_linear(depth=2, width=3, seed=1), deep_linear(depth=2, width=3, seed=1)
    train(net, d, steps=3, lr=0.05, batch_size=None, seed=0, loss_fn=F.mse_loss)
    opt = torch.optim.SGD(ref.parameters(), lr=0.05)
    for _ in range(3):
        opt.zero_grad()
        F.mse_loss(ref(d.x_train), d.y_train).backward()
        opt.step()
    for p, q in zip(net.parameters(), ref.parameters()):
        torch.testing.assert_close(p, q)
