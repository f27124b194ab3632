"""The batched runs must equal separate runs, and the probes must observe a network
without changing it."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from bnlab import data
from bnlab.batched import BatchedMLP, accuracy, cross_entropy, fit, mse
from bnlab.models import mlp
from bnlab.paired import paired
from bnlab.probes import ICSProbe, LandscapeProbe, ShiftProbe, ics, landscape
from bnlab.smoothness import linear_task


def _small():
    d = data.mnist1d()
    return data.Split(d.x_train[:512], d.y_train[:512], d.x_test[:128], d.y_test[:128])


def _batch(R=3, n=32, seed=1):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(n, 8, generator=g).expand(R, n, 8).clone(),
            torch.randint(0, 3, (n,), generator=g).expand(R, n).clone())


def _net(norm, seeds=(0, 1, 2), **kw):
    return BatchedMLP(seeds, 8, 3, 16, 3, act="relu", norm=norm, init_gain=1.0, **kw)


def _state(net):
    return ([p.detach().clone() for p in net.flat()],
            [b.clone() for b in net.bn_mean + net.bn_var + net.running_mean + net.running_scale],
            net.noise_gen.get_state())


def _assert_same(net, snap):
    params, bufs, gen = _state(net)
    assert all(torch.equal(a, b) for a, b in zip(params, snap[0]))
    assert all(torch.equal(a, b) for a, b in zip(bufs, snap[1]))
    assert torch.equal(gen, snap[2])


@pytest.mark.parametrize("place", ["before", "after"])
def test_batched_mlp_equals_torch_mlp_run_by_run(place):
    """Run r of a BatchedMLP computes what torch's nn.Sequential computes with run r's
    weights: outputs, gradients and running statistics."""
    net = _net("bn", place=place)
    x, y = _batch()
    out = net(x, "train")
    loss = cross_entropy(out, y)
    grads = torch.autograd.grad(loss.sum(), net.flat())
    for r in range(net.runs):
        ref = mlp(8, 3, 16, 3, act="relu", bn=place)
        lins = [m for m in ref if isinstance(m, torch.nn.Linear)]
        with torch.no_grad():
            for i, lin in enumerate(lins):
                lin.weight.copy_(net.W[i][r].T)
                lin.bias.copy_(net.b[i][r, 0])
        ref_out = ref(x[r])
        torch.testing.assert_close(out[r], ref_out, rtol=1e-5, atol=1e-5)
        ref_loss = F.cross_entropy(ref_out, y[r])
        torch.testing.assert_close(loss[r], ref_loss)
        g_ref = torch.autograd.grad(ref_loss, lins[1].weight)[0]
        k = next(i for i, p in enumerate(net.flat()) if p is net.W[1])
        torch.testing.assert_close(grads[k][r], g_ref.T, rtol=1e-4, atol=1e-6)
        bn = [m for m in ref if isinstance(m, torch.nn.BatchNorm1d)][0]
        torch.testing.assert_close(net.bn_mean[0].view(3, 16)[r], bn.running_mean)
        torch.testing.assert_close(net.bn_var[0].view(3, 16)[r], bn.running_var)


def test_runs_are_independent_and_seeded():
    """Run r depends on its own seed only: a run trained alone equals the same seed's
    run trained beside others; same seed, same batches, so two runs with one seed match."""
    d = _small()
    together = _net("bn", seeds=(0, 1, 0))
    fit(together, _split8(d), steps=6, lr=0.1, batch_size=16)
    alone = _net("bn", seeds=(1,))
    fit(alone, _split8(d), steps=6, lr=0.1, batch_size=16)
    for p, q in zip(together.flat(), alone.flat()):
        torch.testing.assert_close(p[1:2], q)
        torch.testing.assert_close(p[0], p[2])  # seed 0 twice: same init, same batches
    assert not torch.equal(together.W[0][0], together.W[0][1])


def _split8(d):
    """MNIST-1D cut to 8 features and 3 classes, the shape of `_net`."""
    keep = d.y_train < 3
    keep_t = d.y_test < 3
    return data.Split(d.x_train[keep][:, :8], d.y_train[keep], d.x_test[keep_t][:, :8],
                      d.y_test[keep_t])


def test_fit_is_sgd_and_freezes_diverged_runs():
    d = _split8(_small())
    net, ref = _net("none", seeds=(0, 1)), _net("none", seeds=(0, 1))
    lr = torch.tensor([0.05, 1e6])                   # run 1 blows up
    tr = fit(net, d, steps=3, lr=lr, batch_size=None, diverge_above=50.0)
    assert tr.diverged.tolist() == [False, True]
    assert np.isinf(tr.final_loss(2)[1]) and np.isfinite(tr.final_loss(2)[0])
    for _ in range(3):                               # run 0: plain full-batch GD
        xb = d.x_train.expand(2, *d.x_train.shape)
        g = torch.autograd.grad(cross_entropy(ref(xb), d.y_train.expand(2, -1))[0], ref.flat())
        with torch.no_grad():
            for p, gi in zip(ref.flat(), g):
                p[0] -= 0.05 * gi[0]
    for p, q in zip(net.flat(), ref.flat()):
        torch.testing.assert_close(p[0], q[0])
        assert torch.isfinite(p[1]).all()            # frozen, not nan


class _Calls(TorchFunctionMode):
    """Counts calls that wait for the device (.item(), .cpu(), .tolist(), bool()) and
    records the device asked of every factory call."""

    SYNC = {"item", "cpu", "tolist", "numpy", "__bool__"}
    FACTORIES = {"empty", "zeros", "ones", "full", "rand", "randn", "randint", "tensor",
                 "as_tensor", "arange"}

    def __init__(self):
        super().__init__()
        self.sync, self.devices = 0, []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in self.SYNC:
            self.sync += 1
        if name in self.FACTORIES:
            self.devices.append((name, (kwargs or {}).get("device")))
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("norm", ["bn", "noisy"])
def test_fit_waits_on_the_device_only_at_the_end(norm):
    """No host sync per step: the count of syncing calls does not grow with the steps,
    and every tensor fit creates is created on the network's device (so on a GPU
    nothing is made on the CPU and copied every step)."""
    d = _split8(_small())
    counts = []
    for steps in (4, 12):
        net, lr = _net(norm), torch.full((3,), 0.1)
        with _Calls() as calls:
            fit(net, d, steps=steps, lr=lr, batch_size=16, eval_every=4)
        counts.append(calls.sync)
        assert calls.devices and all(dev == net.W[0].device for _, dev in calls.devices), calls.devices
    assert counts[0] == counts[1]


def test_float64_networks_stay_float64():
    net = BatchedMLP((0, 1), 4, 4, 4, 2, act="linear", norm="bn", bias=False,
                     init_std=0.5, dtype=torch.float64)
    tasks = [linear_task(s, width=4, n_train=32) for s in (0, 1)]
    d = data.Split(*(torch.stack([getattr(t, f) for t in tasks]).double()
                     for f in ("x_train", "y_train", "x_test", "y_test")))
    fit(net, d, steps=2, lr=0.01, batch_size=None, loss_fn=mse)
    assert all(p.dtype == torch.float64 for p in net.flat())
    assert all(b.dtype == torch.float64 for b in net.bn_mean + net.bn_var)


@pytest.mark.parametrize("norm", ["none", "bn", "noisy", "l2"])
def test_probes_leave_the_network_unchanged(norm):
    net = _net(norm)
    x, y = _batch()
    fit_like = cross_entropy(net(x, "train"), y)      # a training step's forward
    del fit_like
    snap = _state(net)
    l2, cos, norm_ = ics(net, x, y, torch.full((3,), 0.1))
    _assert_same(net, snap)
    assert l2.shape == cos.shape == norm_.shape == (3, 3)  # 4 Linear layers: ICS of 2..4
    assert torch.isfinite(l2).all() and (l2 > 0).all() and (cos <= 1 + 1e-6).all()
    etas = torch.tensor([[0.01, 0.1, 1.0]] * 3)
    loss0, losses, changes, gnorm = landscape(net, x, y, etas)
    _assert_same(net, snap)
    assert losses.shape == changes.shape == (3, 3) and (gnorm > 0).all()


@pytest.mark.parametrize("norm", ["none", "noisy"])
def test_ics_with_zero_lr_is_zero(norm):
    """No update below layer i means G' = G: distance 0, cosine 1 (noise is held)."""
    net = _net(norm)
    x, y = _batch()
    l2, cos, _ = ics(net, x, y, torch.zeros(3))
    torch.testing.assert_close(l2, torch.zeros_like(l2), atol=1e-7, rtol=0)
    torch.testing.assert_close(cos, torch.ones_like(cos), atol=1e-5, rtol=0)


def test_ics_of_chosen_layers_matches_all_layers():
    net = _net("bn")
    x, y = _batch()
    lr = torch.full((3,), 0.1)
    l2_all, cos_all, _ = ics(net, x, y, lr)
    l2, cos, _ = ics(net, x, y, lr, layers=[2, 4])
    torch.testing.assert_close(l2, l2_all[:, [0, 2]])
    torch.testing.assert_close(cos, cos_all[:, [0, 2]])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_landscape_of_a_quadratic_has_constant_beta(seed):
    """Linear model + MSE is quadratic: grad change = H (eta g), so change / (eta ||g||)
    is the same for every eta, and the loss along -g is a parabola (float64)."""
    net = BatchedMLP((seed,), 4, 4, 4, 0, act="linear", bias=False, init_std=0.5,
                     dtype=torch.float64)
    d = linear_task(seed, width=4, n_train=64, n_test=1)
    x, y = d.x_train.double()[None], d.y_train.double()[None] + 1.0  # loss > 0
    etas = torch.tensor([[0.01, 0.1, 0.5]], dtype=torch.float64)
    loss0, losses, changes, gnorm = landscape(net, x, y, etas, mse)
    ratio = (changes / (etas * gnorm[:, None]))[0]
    torch.testing.assert_close(ratio, ratio[0].expand(3), rtol=1e-6, atol=0)
    a = ((losses - loss0[:, None] + etas * gnorm[:, None] ** 2) / etas**2)[0]
    torch.testing.assert_close(a, a[0].expand(3), rtol=1e-6, atol=0)


@pytest.mark.parametrize("norm", ["bn", "noisy"])
def test_probes_do_not_change_the_training_run(norm):
    """Training with probes attached gives bit-identical losses and weights."""
    d = _split8(_small())
    runs = []
    for with_probes in (False, True):
        net = _net(norm)
        lr = torch.full((3,), 0.1)
        cbs = (ICSProbe(3, lr), LandscapeProbe(4, lr[:, None] * torch.tensor([[0.5, 2.0]])),
               ShiftProbe(1)) if with_probes else ()
        tr = fit(net, d, steps=12, lr=lr, batch_size=16, eval_every=6, callbacks=cbs)
        runs.append((tr.loss, tr.test_acc, [p.detach().clone() for p in net.flat()]))
        if cbs:
            assert len(cbs[0].l2) == 4 and len(cbs[1].losses) == 3
            dm, dv = cbs[2].arrays()
            assert dm.shape == dv.shape == (3,) and (dm > 0).all()
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert all(torch.equal(a, b) for a, b in zip(runs[0][2], runs[1][2]))


def test_noise_shifts_the_distribution_more_than_bn():
    """The per-step change of a layer's batch mean: noisy BN well above BN (the noise
    redraws every step), the quantity the article's 'more shift' rests on."""
    d = _split8(_small())
    out = {}
    for norm in ("bn", "noisy"):
        net, probe = _net(norm), ShiftProbe(1)
        fit(net, d, steps=10, lr=0.1, batch_size=32, callbacks=(probe,))
        out[norm] = probe.arrays()[0]
    assert (out["noisy"] > 2 * out["bn"]).all()


def test_eval_mode_uses_running_statistics_and_probe_mode_the_batch():
    net = _net("bn", seeds=(0,))
    x, y = _batch(R=1)
    with torch.no_grad():
        ev, pr = net(x, "eval"), net(x, "probe")
        net.bn_mean[0] += 1.0                    # running mean moved: only eval changes
        assert not torch.allclose(net(x, "eval"), ev)
        torch.testing.assert_close(net(x, "probe"), pr)
    assert accuracy(net, x[0], y[0]).shape == (1,)


def test_paired_verdicts():
    a = np.array([0.50, 0.52, 0.48, 0.51, 0.49])
    better = paired(a, a + [0.05, 0.04, 0.06, 0.05, 0.03], "accuracy")
    assert better.verdict == "better" and better.wins == 5
    level = paired(a, a + [0.01, -0.01, 0.0, 0.015, -0.005], "accuracy")
    assert level.verdict == "level"
    mixed = paired(a, a + [0.10, -0.05, 0.08, 0.06, 0.07], "accuracy")  # one seed disagrees
    assert mixed.verdict == "unresolved"
    small = paired(a, a + [0.01, 0.03, 0.01, 0.01, 0.01], "accuracy")   # mean inside margin
    assert small.verdict == "unresolved"
    lower = paired([1.0, 1.0], [0.5, 0.4], "loss", lower_is_better=True)
    assert lower.verdict == "better" and lower.mean < 0
    logged = paired([100.0, 1000.0, np.nan], [10.0, 10.0, 5.0], "log", lower_is_better=True,
                    log=True)
    assert logged.verdict == "better" and logged.dropped == 1 and logged.n == 2
    assert "1 left out" in logged.effect()
    with pytest.raises(ValueError):
        paired([1, 2], [1, 2, 3], "loss")
