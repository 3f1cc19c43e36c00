"""constnet's reconstructed figures: the toy model of unique features and signal propagation at initialisation.
Each paper-specific computation is checked against a computation written here, and each claim with a violating
and a satisfying input."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from claim_cases.constnet import sigprop_table
from relurepro.constnet import sigprop, toy
from relurepro.data import TensorData


# --- toy model -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 2, 8, 32])
def test_replicated_init_has_exactly_k_distinct_rows_tiled_over_the_width(k):
    w = toy.replicated_weight(20, 32, k, 0.0, torch.Generator().manual_seed(k)).numpy()
    assert len({row.tobytes() for row in w}) == k
    for j in range(32):  # row j is a copy of row j mod k
        assert np.array_equal(w[j], w[j % k])
    assert w[:k].std() == pytest.approx(math.sqrt(2 / 20), rel=0.25)  # He normal
    with pytest.raises(ValueError, match="divisor"):
        toy.replicated_weight(20, 32, 3, 0.0, torch.Generator())


def test_noise_makes_every_unit_distinct_with_the_stated_size():
    d, noise = 50, 0.01
    w = toy.replicated_weight(d, 512, 1, noise, torch.Generator().manual_seed(0)).numpy().astype(np.float64)
    assert len({row.tobytes() for row in w}) == 512
    # two copies of the same base row differ by two independent noise draws: std sqrt(2) * noise * sqrt(2/d)
    diff = (w[0::2] - w[1::2]).ravel()
    assert diff.std() == pytest.approx(math.sqrt(2) * noise * math.sqrt(2 / d), rel=0.05)


def _tiny_data(n=96, d=12, classes=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    y = (x[:, :classes].argmax(1)).long()
    return TensorData(x, y, "tiny", "train"), TensorData(x[:32], y[:32], "tiny", "test")


def test_without_noise_training_keeps_k_units_and_the_net_is_a_width_k_net():
    train, _ = _tiny_data()
    k, width = 4, 16
    net = toy.ToyNet(12, width, 3, k, 0.0, torch.Generator().manual_seed(1))
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    for _ in range(20):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(train.x), train.y).backward()
        opt.step()
    w, b = net.hidden.weight.detach().numpy(), net.hidden.bias.detach().numpy()
    v, c = net.out.weight.detach().numpy(), net.out.bias.detach().numpy()
    assert len({np.append(w[j], b[j]).tobytes() for j in range(width)}) == k
    assert np.abs(v).max() > 0  # it trained
    # a width-k net built by hand: the k distinct units, each group's classifier columns summed
    x = train.x.numpy().astype(np.float64)
    hidden = np.maximum(x @ w[:k].T + b[:k], 0)
    grouped = np.stack([v[:, j::k].sum(1) for j in range(k)], 1)
    np.testing.assert_allclose(net(train.x).detach().numpy(), hidden @ grouped.T + c, rtol=1e-4, atol=1e-5)


def test_toy_sweep_rows_and_figure(tmp_path, monkeypatch):
    monkeypatch.setattr(toy, "load", lambda name, root="data": _tiny_data())
    cfg = {"data": "tiny", "width": 8, "ks": [1, 8], "noise": [0.0, 0.1], "seeds": [0, 1], "epochs": 2, "batch": 32,
           "lr": 0.01, "momentum": 0.9}
    runs = toy.sweep(cfg)
    assert list(runs.columns) == toy.COLUMNS and len(runs) == 8
    assert (runs.distinct_init == np.where(runs.noise > 0, 8, runs.k)).all()
    assert (runs[runs.noise == 0].distinct_final == runs[runs.noise == 0].k).all()
    toy.figure(runs, "a label", "scale: test", tmp_path / "t.pdf", tmp_path / "t.png")
    for wrong in ({"ks": [1, 4]}, {"noise": [0.1]}, {"ks": [3, 8]}):
        with pytest.raises(ValueError):
            toy.sweep({**cfg, **wrong})
    assert (tmp_path / "t.png").stat().st_size > 0


def _toy_runs(accs: dict, seeds=3, n_test=400) -> pd.DataFrame:
    """Runs with the given per-(k, noise) accuracies, seeds spread by +-0.01."""
    rows = [{"data": "x", "width": 64, "k": k, "noise": z, "seed": s, "epochs": 1, "n_test": n_test,
             "train_acc": a, "test_acc": a + 0.01 * (s - (seeds - 1) / 2), "distinct_init": k, "distinct_final": k}
            for (k, z), a in accs.items() for s in range(seeds)]
    return pd.DataFrame(rows)


def test_toy_claims_pass_and_fail():
    good = _toy_runs({(1, 0.0): 0.3, (64, 0.0): 0.95, (1, 0.01): 0.9, (1, 0.1): 0.93, (64, 0.1): 0.95})
    assert [(r["id"], r["status"]) for r in toy.claims(good, "quick")] == [("cn.toy_diversity", "pass"),
                                                                           ("cn.toy_noise", "pass")]
    assert {r["status"] for r in toy.claims(good, "smoke")} == {"not_checked"}
    # no loss of accuracy at k = 1, and one noise level that does not help: both fail
    flat = _toy_runs({(1, 0.0): 0.94, (64, 0.0): 0.95, (1, 0.01): 0.5, (1, 0.1): 0.96, (64, 0.1): 0.95})
    assert [r["status"] for r in toy.claims(flat, "quick")] == ["fail", "fail"]
    # the margin: 2 sqrt(2) x 0.5 / sqrt(400 images x 3 seeds) = 4.1 points; 2 points inside it, 6 beyond
    close = _toy_runs({(1, 0.0): 0.93, (64, 0.0): 0.95, (1, 0.1): 0.99})
    assert [r["status"] for r in toy.claims(close, "quick")] == ["fail", "pass"]


# --- signal propagation ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("cout,cin", [(8, 8), (12, 4)])
def test_delta_orthogonal_is_orthogonal_at_the_centre_tap_and_zero_elsewhere(cout, cin):
    w = sigprop.delta_orthogonal_(torch.empty(cout, cin, 3, 3), math.sqrt(2), torch.Generator().manual_seed(0))
    w = w.numpy().astype(np.float64)
    centre = w[:, :, 1, 1]
    np.testing.assert_allclose(centre.T @ centre, 2 * np.eye(cin), atol=1e-5)  # orthonormal columns x gain^2
    mask = np.ones((3, 3), bool)
    mask[1, 1] = False
    assert not w[:, :, mask].any()


@pytest.mark.parametrize("blocks,m", [(16, 2), (81, 3)])
def test_fixup_zeroes_each_branch_end_and_scales_the_rest_by_L_to_minus_1_over_2m_minus_2(blocks, m):
    width = 32
    block = sigprop.FixupBlock(width, m, blocks, torch.Generator().manual_seed(0))
    scale = blocks ** (-1 / (2 * m - 2))  # L^(-1/(2m-2)): 16 -> 1/4 (m = 2), 81 -> 1/3 (m = 3)
    assert sigprop.fixup_scale(blocks, m) == pytest.approx(scale)
    assert not block.convs[-1].weight.any()
    for conv in block.convs[:-1]:
        assert conv.weight.std().item() == pytest.approx(math.sqrt(2 / (9 * width)) * scale, rel=0.05)
    x = torch.randn(2, width, 4, 4)
    assert torch.equal(block(x), x)  # the residual branch is exactly 0 at init


def test_he_layers_are_he_normal():
    _, layers = sigprop.build("he", 3, 32, 1, torch.Generator().manual_seed(0))
    for layer in layers:
        assert layer.conv.weight.std().item() == pytest.approx(math.sqrt(2 / (9 * 32)), rel=0.05)
        assert layer.conv.padding_mode == "circular"


def _circular_conv(x, w):
    """y[n, o, i, j] = sum_c,a,b w[o, c, a, b] x[n, c, i + a - 1, j + b - 1] (indices mod the map size)."""
    y = np.zeros((x.shape[0], w.shape[0], *x.shape[2:]))
    for a in range(3):
        for b in range(3):
            shifted = np.roll(x, (1 - a, 1 - b), axis=(2, 3))
            y += np.einsum("oc,nchw->nohw", w[:, :, a, b], shifted)
    return y


def _circular_conv_t(g, w):
    """The transpose of _circular_conv: gx[n, c, p, q] = sum_o,a,b w[o, c, a, b] g[n, o, p - a + 1, q - b + 1]."""
    gx = np.zeros((g.shape[0], w.shape[1], *g.shape[2:]))
    for a in range(3):
        for b in range(3):
            gx += np.roll(np.einsum("oc,nohw->nchw", w[:, :, a, b], g), (a - 1, b - 1), axis=(2, 3))
    return gx


def test_per_layer_variances_of_a_tiny_he_net_match_a_hand_computation():
    gen = torch.Generator().manual_seed(3)
    stem, layers = sigprop.build("he", 2, 3, 1, gen)
    x = torch.randn(2, 1, 4, 4, generator=torch.Generator().manual_seed(4))
    state = gen.get_state()
    got = sigprop.measure(stem, layers, x, gen)
    r = torch.randn(2, 3, 4, 4, generator=torch.Generator().set_state(state)).numpy().astype(np.float64)
    ws = [stem.conv.weight.detach().numpy().astype(np.float64)] + [
        layer.conv.weight.detach().numpy().astype(np.float64) for layer in layers]
    hs = [_circular_conv(x.numpy().astype(np.float64), ws[0])]
    for w in ws[1:]:
        hs.append(_circular_conv(np.maximum(hs[-1], 0), w))
    grads = [r]
    for h, w in zip(hs[-2::-1], ws[:0:-1]):  # back through layer l: conv^T, then the ReLU's derivative at h_{l-1}
        grads.insert(0, _circular_conv_t(grads[0], w) * (h > 0))
    np.testing.assert_allclose(got.act_var, [np.mean(h ** 2) for h in hs], rtol=1e-5)
    np.testing.assert_allclose(got.grad_var, [np.mean(g ** 2) for g in grads], rtol=1e-5)
    assert list(got.distinct_channels) == [3, 3, 3]


def test_constnet_propagates_the_input_and_the_cotangent_unchanged():
    gen = torch.Generator().manual_seed(0)
    stem, layers = sigprop.build("constnet", 5, 4, 1, gen)
    layers.train()
    x = torch.randn(3, 1, 6, 6, generator=torch.Generator().manual_seed(1))
    state = gen.get_state()
    got = sigprop.measure(stem, layers, x, gen)
    r = torch.randn(3, 4, 6, 6, generator=torch.Generator().set_state(state))
    # the averaging stem copies the one input channel into all 4; every block adds an exact 0
    assert (got.act_var == x.double().pow(2).mean().item()).all()
    assert (got.grad_var == r.double().pow(2).mean().item()).all()
    assert (got.distinct_channels == 1).all()


def test_sigprop_sweep_rows_and_figure(tmp_path):
    cfg = {"width": 4, "depths": [2, 4], "seeds": 2, "batch": 8, "alpha": 0.01, "fixup_m": 2}
    table = sigprop.sweep(cfg, torch.randn(8, 1, 6, 6, generator=torch.Generator().manual_seed(0)))
    assert list(table.columns) == sigprop.COLUMNS
    assert len(table) == len(sigprop.INITS) * 2 * (3 + 5)
    r = sigprop.ratios(table)
    assert (r[r.init.isin(["constnet", "fixup"])][["act_dev", "grad_dev"]] == 0).all().all()
    sigprop.figure(table, "a label", "scale: test", tmp_path / "s.pdf", tmp_path / "s.png")
    assert (tmp_path / "s.png").stat().st_size > 0


def test_sigprop_claims_pass_and_fail():
    good = sigprop.claims(sigprop_table(), "quick")
    assert [r["status"] for r in good] == ["not_checked", "not_checked", "pass"]
    # ConstNet's flat profile holds by construction (shown, never a pass; the test above checks it exactly); He's
    # spread the same at both depths gives a variance ratio 1 < the F quantile
    bad = sigprop.claims(sigprop_table(1e-3, {4: 1.0, 64: 1.0}), "quick")
    assert [(r["case"], r["status"]) for r in bad] == [("activations", "not_checked"), ("gradients", "not_checked"),
                                                       ("L = 64 vs 4", "fail")]
    assert "F(15, 15)" in bad[2]["rule"] and "= 0.001 over" in bad[0]["measured"]
    # smoke: the F test has no power either
    assert [r["status"] for r in sigprop.claims(sigprop_table(), "smoke")] == ["not_checked"] * 3
