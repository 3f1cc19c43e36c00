import os

import numpy as np
import pytest
import torch
from torch import nn

from relurepro.resnet_ode.adjoint import (integrate, integrate_adjoint, reconstruction_error, saved_bytes,
                                         unique_parameters)

D, WIDTH = 16, 32


class Smooth(nn.Module):
    """f(x) = W2(t) tanh(W1(t) x + b(t)) with weights affine in the time t: smooth in depth."""

    def __init__(self, base, t):
        super().__init__()
        a1, c1, a2, c2, ab, cb = base
        self.w1, self.w2 = nn.Parameter(a1 + t * c1), nn.Parameter(a2 + t * c2)
        self.b = nn.Parameter(ab + t * cb)

    def forward(self, x):
        return torch.tanh(x @ self.w1.T + self.b) @ self.w2.T


def smooth_functions(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    shapes = [(WIDTH, D), (WIDTH, D), (D, WIDTH), (D, WIDTH), (WIDTH,), (WIDTH,)]
    base = [torch.randn(*s, generator=g, dtype=torch.float64) / (s[-1] ** 0.5 if len(s) == 2 else 1) for s in shapes]
    return nn.ModuleList([Smooth(base, i / n) for i in range(n)])


def gradients(functions, x, adjoint, method):
    x = x.clone().requires_grad_(True)
    run = integrate_adjoint if adjoint else integrate
    out = run(functions, x, method)
    return torch.autograd.grad((out ** 2).sum(), [x, *unique_parameters(functions)])


def relative_gradient_error(n, method):
    functions = smooth_functions(n)
    x = torch.randn(8, D, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    exact = torch.cat([g.flatten() for g in gradients(functions, x, False, method)])
    adjoint = torch.cat([g.flatten() for g in gradients(functions, x, True, method)])
    return float((adjoint - exact).norm() / exact.norm())


def slope(ns, errors):
    return np.polyfit(np.log(ns), np.log(errors), 1)[0]


@pytest.mark.parametrize("method", ["euler", "heun"])
def test_adjoint_forward_equals_backprop_forward_and_keeps_shape(method):
    functions = smooth_functions(6)
    for x in (torch.randn(5, D, dtype=torch.float64), torch.randn(D, dtype=torch.float64)):
        out = integrate_adjoint(functions, x, method)
        assert out.shape == x.shape and torch.equal(out, integrate(functions, x, method))


def test_gradient_error_falls_like_one_over_depth_and_heun_beats_euler():
    ns = [4, 16, 64]
    euler = [relative_gradient_error(n, "euler") for n in ns]
    heun = [relative_gradient_error(n, "heun") for n in ns]
    assert euler == sorted(euler, reverse=True) and slope(ns, euler) <= -0.8
    assert all(h < e for h, e in zip(heun, euler)) and slope(ns, heun) < slope(ns, euler)


@pytest.mark.parametrize("method", ["euler", "heun"])
def test_reconstruction_error_shrinks_at_least_like_one_over_depth(method):
    x = torch.randn(8, D, dtype=torch.float64)
    ns = [4, 16, 64]
    errors = [reconstruction_error(smooth_functions(n), x, method) for n in ns]
    # first order or better, judged where the error is asymptotic (the last doubling of log N)
    assert errors == sorted(errors, reverse=True) and slope(ns[1:], errors[1:]) <= -0.9


def test_adjoint_memory_is_flat_in_depth_and_backprop_linear():
    x = torch.randn(64, D, dtype=torch.float64, requires_grad=True)
    adjoint, backprop = [], []
    for n in (4, 16, 64):
        functions = smooth_functions(n)
        adjoint.append(saved_bytes(lambda: integrate_adjoint(functions, x))[0])
        backprop.append(saved_bytes(lambda: integrate(functions, x))[0])
    assert adjoint[0] == adjoint[1] == adjoint[2] == x.numel() * 8
    assert backprop[1] - backprop[0] == pytest.approx((backprop[2] - backprop[1]) / 4, rel=1e-9)
    assert backprop[2] > 10 * adjoint[2]


# The test's own measurement, independent of relurepro.resnet_ode.peak_memory: a fresh process per point, one
# forward + backward of mean(out^2), peak resident set (VmHWM, reset after setup) minus the RSS after setup. glibc's
# mmap threshold is pinned at 64 KiB so each state-sized tensor is its own mapping and leaves RSS when freed.
_PEAK_PROBE = """
import sys, torch
from torch import nn
from relurepro.resnet_ode.adjoint import integrate, integrate_adjoint
mode, method, n, d, batch, hidden = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
torch.set_num_threads(1)
torch.manual_seed(0)
fs = nn.ModuleList(nn.Sequential(nn.Linear(d, hidden), nn.Tanh(), nn.Linear(hidden, d)) for _ in range(n))
x = torch.randn(batch, d)
run = integrate_adjoint if mode == "adjoint" else integrate
run(fs[:2], x, method).square().mean().backward()  # warm-up: one-time allocations stay out of the peak
fs.zero_grad(set_to_none=True)
def kib(key):
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(key + ":"))
base = kib("VmRSS")
open("/proc/self/clear_refs", "w").write("5")
run(fs, x, method).square().mean().backward()
print(1024 * (kib("VmHWM") - base))
"""


def _peak_growth(mode, method, n, d, batch, hidden):
    import os
    import subprocess
    import sys

    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536", "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", _PEAK_PROBE, mode, method, str(n), str(d), str(batch), str(hidden)],
                         env=env, capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux /proc peak-RSS accounting")
def test_adjoint_peak_memory_during_forward_and_backward_is_flat_in_depth():
    """The paper's memory: the peak during forward + backward (Euler; Heun runs the same forward loop). Reference
    from tensor sizes, not from the code: one state is d x batch x 4 bytes (S); each residual function adds its
    parameter gradients (P bytes). Backprop keeps one state per step, so its peak grows by >= dN * S; the adjoint
    keeps O(1) states, so its peak may grow only by the gradients: dN * 2P (P, plus as much again for heap
    fragmentation: the gradients are small heap blocks interleaved with freed temporaries), plus 4 S of slack."""
    d, batch, hidden, n_small, n_large = 500, 500, 8, 11, 151
    state = d * batch * 4
    grads_per_function = (2 * d * hidden + d + hidden) * 4
    dn = n_large - n_small
    growth = {mode: _peak_growth(mode, "euler", n_large, d, batch, hidden)
              - _peak_growth(mode, "euler", n_small, d, batch, hidden) for mode in ("backprop", "adjoint")}
    assert growth["backprop"] >= 0.9 * dn * state, growth  # the measurement sees activations kept alive
    assert growth["adjoint"] <= dn * 2 * grads_per_function + 4 * state, growth


def test_peak_rows_measure_one_state_per_layer_for_backprop_and_a_flat_adjoint():
    from relurepro.resnet_ode.peak_memory import gradient_bytes, peak_rows, state_bytes

    rows = {(r["depth"], r["mode"]): r for r in peak_rows([1, 41])}
    mib = 2 ** 20
    state, grads = state_bytes(500, 500) / mib, gradient_bytes(500, 8) / mib
    assert state == pytest.approx(500 * 500 * 4 / mib) and grads == pytest.approx((2 * 500 * 8 + 508) * 4 / mib)
    backprop = rows[(41, "backprop")]["peak_mib"] - rows[(1, "backprop")]["peak_mib"]
    adjoint = rows[(41, "adjoint")]["peak_mib"] - rows[(1, "adjoint")]["peak_mib"]
    assert 0.9 * 40 * state <= backprop <= 1.5 * 40 * state  # one state per layer, plus small hidden tensors
    assert adjoint <= 40 * 2 * grads + 4 * state
    # the saved-for-backward column: the adjoint keeps only the final state at any depth
    assert rows[(1, "adjoint")]["saved_for_backward_mib"] == rows[(41, "adjoint")]["saved_for_backward_mib"] == state


@pytest.mark.parametrize("method", ["euler", "heun"])
def test_a_tied_module_gets_the_summed_gradient(method):
    torch.manual_seed(0)
    shared = nn.Sequential(nn.Linear(D, WIDTH), nn.Tanh(), nn.Linear(WIDTH, D)).double()
    functions = [shared] * 20
    x = torch.randn(4, D, dtype=torch.float64)
    exact = gradients(functions, x, False, method)
    adjoint = gradients(functions, x, True, method)
    assert len(adjoint) == 1 + len(list(shared.parameters()))
    for a, e in zip(adjoint[1:], exact[1:]):  # the original returned 1/20 of this (its bug B5)
        assert float(a.norm() / e.norm()) == pytest.approx(1.0, abs=0.05)


def test_backward_leaves_train_and_eval_modes_alone():
    functions = smooth_functions(4)
    functions[1].eval()
    x = torch.randn(3, D, dtype=torch.float64, requires_grad=True)
    integrate_adjoint(functions, x).sum().backward()
    assert [f.training for f in functions] == [True, False, True, True]


def test_heun_takes_n_minus_one_steps():
    functions = smooth_functions(2)
    x = torch.randn(3, D, dtype=torch.float64)
    f0, f1 = functions
    expected = x + 0.5 * (f0(x) + f1(x + 0.5 * f0(x))) / 2
    assert torch.allclose(integrate(functions, x, "heun"), expected, atol=1e-15)
    with pytest.raises(ValueError, match="at least 2"):
        integrate(smooth_functions(1), x, "heun")


def test_tiny_net_parameter_counts_and_zero_init():
    from relurepro.resnet_ode.models import TinyODENet

    net = TinyODENet(8)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(net.residuals[0]) == 4704 and count(net.conv) + count(net.bn) == 1232 and count(net.fc) == 650
    x = torch.randn(2, 16, 10, 10)
    assert all(torch.equal(f(x), torch.zeros_like(x)) for f in net.residuals)
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 10)


@pytest.mark.parametrize("depth", [2, 4, 8, 16])
def test_piecewise_constant_init_copies_base_functions(depth):
    from relurepro.resnet_ode.models import TinyODENet, piecewise_constant_init

    torch.manual_seed(0)
    base, net = TinyODENet(8, zero_init=False), TinyODENet(depth, zero_init=False)
    piecewise_constant_init(net, base)
    for i, f in enumerate(net.residuals):
        source = base.residuals[i * 8 // depth]
        assert all(torch.equal(a, b) for a, b in zip(f.state_dict().values(), source.state_dict().values()))
    assert torch.equal(net.fc.weight, base.fc.weight)


@pytest.mark.parametrize("method", ["euler", "heun"])
def test_adjoint_tiny_net_updates_batch_norm_statistics_once(method):
    from relurepro.resnet_ode.models import TinyODENet

    torch.manual_seed(0)
    backprop = TinyODENet(6, method, adjoint=False, stem="digits", zero_init=False).double()
    adjoint = TinyODENet(6, method, adjoint=True, stem="digits", zero_init=False).double()
    adjoint.load_state_dict(backprop.state_dict())
    x = torch.randn(16, 1, 8, 8, dtype=torch.float64)
    for net in (backprop, adjoint):
        net(x).square().sum().backward()
    for (name, a), b in zip(adjoint.state_dict().items(), backprop.state_dict().values()):
        assert torch.allclose(a.double(), b.double(), atol=1e-12), name
    g_bp = torch.cat([p.grad.flatten() for p in backprop.parameters()])
    g_adj = torch.cat([p.grad.flatten() for p in adjoint.parameters()])
    assert 0 < float((g_adj - g_bp).norm() / g_bp.norm()) < 0.5


def test_linear_weights_recipe_and_smoothness():
    from relurepro.resnet_ode.linear import roughness, train_linear

    run = train_linear()
    assert run.losses[0] == (0, pytest.approx(1.376, abs=1e-3))
    assert run.losses[-1][0] == 100 and run.losses[-1][1] < 1e-5 and len(run.weights) == 101
    # Smooth in depth: neighbouring layers differ by O(1/N) (zero init, gradient descent).
    rough = {n: roughness(train_linear(n=n, max_steps=100).weights[-1]) for n in (50, 100, 200)}
    assert slope(list(rough), list(rough.values())) < -0.9


@pytest.mark.parametrize("method", ["euler", "heun"])
def test_local_reconstruction_is_milder_than_chained_and_keeps_every_output(method):
    functions = smooth_functions(8)
    x = torch.randn(8, D, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    exact = torch.cat([g.flatten() for g in gradients(functions, x, False, method)])

    def error(local):
        xg = x.clone().requires_grad_(True)
        out = integrate_adjoint(functions, xg, method, local=local)
        got = torch.autograd.grad((out ** 2).sum(), [xg, *unique_parameters(functions)])
        return float((torch.cat([g.flatten() for g in got]) - exact).norm() / exact.norm())

    assert 0 < error(True) < error(False)
    steps = 8 if method == "euler" else 7
    xg = x.clone().requires_grad_(True)
    assert saved_bytes(lambda: integrate_adjoint(functions, xg, method, local=True))[0] == steps * x.numel() * 8


def test_ode_resnets_match_the_original_parameter_counts():
    from relurepro.resnet_ode.models import ODEResNet, tied_resnet

    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(tied_resnet(10, 8)) == 13_958_986 and count(tied_resnet(1000, 8)) == 15_995_176
    assert count(ODEResNet(1000, [2, 3, 22, 2], tied=False)) == 44_549_160  # ResNetMemory101


def test_tied_state_dict_does_not_depend_on_depth_and_untying_is_exact():
    from relurepro.resnet_ode.models import ODEResNet, tied_resnet, untie

    torch.manual_seed(0)
    tied = tied_resnet(10, 3)
    deeper = ODEResNet(10, [3, 3, 31, 3], tied=True)
    assert {k: v.shape for k, v in tied.state_dict().items()} == {k: v.shape for k, v in deeper.state_dict().items()}
    deeper.load_state_dict(tied.state_dict())  # a model trained at one depth unrolls deeper
    untied = untie(tied).eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(untied(x), tied.eval()(x))


def test_adjoint_threshold_selects_only_long_segments():
    from relurepro.resnet_ode.models import ODEResNet

    resnet101 = ODEResNet(1000, [2, 3, 22, 2], tied=False, adjoint_above=10)
    assert [s.count for s in resnet101.segments()] == [2, 3, 22, 2]
    assert [s.uses_adjoint() for s in resnet101.segments()] == [False, False, True, False]


def test_gradient_errors_on_digits_fall_with_depth_and_heun_beats_euler():
    import pandas as pd
    from sklearn.datasets import load_digits

    from relurepro.resnet_ode.gradient_errors import gradient_errors
    from relurepro.resnet_ode.models import TinyODENet

    digits = load_digits()
    x = torch.tensor(digits.images[:64], dtype=torch.float32)[:, None]
    x, y = (x - x.mean()) / x.std(), torch.tensor(digits.target[:64])
    torch.manual_seed(0)
    base = TinyODENet(8, stem="digits", zero_init=False)
    rows = [r for m in ("euler", "heun") for n in (4, 16) for r in gradient_errors(base, n, m, x, y)]
    median = pd.DataFrame(rows).groupby(["method", "depth"]).relative.median()
    assert median["euler", 16] < median["euler", 4] and median["heun", 16] < median["heun", 4]
    assert median["heun", 4] < median["euler", 4] and median["heun", 16] < median["euler", 16]
    assert median["heun", 4] / median["heun", 16] > median["euler", 4] / median["euler", 16]  # steeper for Heun


def test_reconstruction_error_after_the_digits_stem_falls_with_depth():
    from sklearn.datasets import load_digits

    from relurepro.resnet_ode.experiments import reconstruction_rows

    x = torch.tensor(load_digits().images[:64], dtype=torch.float32)[:, None]
    x = (x - x.mean()) / x.std()
    errors = [r["error"] for r in reconstruction_rows([2, 8, 32, 128], x)]
    assert errors == sorted(errors, reverse=True) and slope([8, 32, 128], errors[1:]) <= -0.9
