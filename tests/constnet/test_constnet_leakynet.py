"""LeakyNet (§2.7) and the weight-correlation / symmetry diagnostics (§2.9, §2.11)."""

import math
import warnings

import numpy as np
import pytest
import torch

from relurepro.constnet.correlations import (diversity, distinct_channels, mean_correlation, neg_log_abs,
                                             symmetry_deviation, weight_correlations)
from relurepro.constnet.leakynet import LeakyBlock, LeakyNet, init_conv, parse_init
from relurepro.constnet.models import ConstNet

ALPHA = 0.01


@pytest.fixture
def no_onednn():
    """oneDNN convolutions are not guaranteed channel-symmetric (§5.2); the exact-equality checks turn it off."""
    before = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    yield
    torch.backends.mkldnn.enabled = before


def test_parse_init_lengths_and_errors():
    assert parse_init("h_hhhh_hhhh_hhhh") == ["h"] * 13
    assert parse_init("1_ii_k1_ix", n=2) == list("1iik1ix")
    for bad in ("", "1", "1_ii_ii_i", "1_iiii"):
        with pytest.raises(ValueError, match="expected"):
            parse_init(bad)
    with pytest.raises(ValueError, match="13") as err:
        parse_init("1_ii_ii_ii", n=4)
    assert "1_ii_ii_ii" in str(err.value)
    with pytest.raises(ValueError, match="1_ii_ii_ii"):
        LeakyNet(depth=16, widen=1, init="1_ii_ii_ii")


def test_init_values():
    w = torch.empty(8, 4, 3, 3)
    init_conv(w, "i", -1, ALPHA)
    assert w[5, 1, 1, 1] == -1 / ALPHA and w.abs().sum() == 8 / ALPHA
    init_conv(w, "1", -1, ALPHA)
    assert torch.allclose(w[:, :, 1, 1], torch.full((8, 4), -1 / (ALPHA * 4))) and w[:, :, 0].abs().sum() == 0
    init_conv(w, "1", 1, ALPHA)
    assert torch.all(w[:, :, 1, 1] == 0.25)
    torch.manual_seed(0)
    big = torch.empty(256, 64, 3, 3)
    init_conv(big, "h", 1, ALPHA)
    assert big.std().item() == pytest.approx(math.sqrt(math.sqrt(2) * (1 + ALPHA) / (64 * 9)), rel=0.02)
    init_conv(big, "k", 1, ALPHA)
    ident = torch.zeros_like(big)
    init_conv(ident, "i", 1, ALPHA)
    noise = big - 0.99 * ident
    assert noise.std().item() == pytest.approx(math.sqrt(0.01 * math.sqrt(2) * (1 + ALPHA) / (64 * 9)), rel=0.02)


def test_identity_pair_is_minus_x():
    torch.manual_seed(0)
    even, odd = LeakyBlock(8, 8, 1, 0, ALPHA), LeakyBlock(8, 8, 1, 1, ALPHA)
    init_conv(even.conv.weight, "i", even.phase, ALPHA)
    init_conv(odd.conv.weight, "i", odd.phase, ALPHA)
    x = torch.randn(4, 8, 5, 5)
    with torch.no_grad():
        y = odd.pre_bn(even.pre_bn(x))
    assert torch.allclose(y, -x, atol=1e-5)


def test_averaging_layer_makes_channels_identical(no_onednn):
    torch.manual_seed(0)
    blk = LeakyBlock(6, 10, 2, 1, ALPHA)
    init_conv(blk.conv.weight, "1", blk.phase, ALPHA)
    with torch.no_grad():
        out = blk.pre_bn(torch.randn(3, 6, 7, 7))
    assert all(torch.equal(out[:, c], out[:, 0]) for c in range(10))


def test_fully_averaging_mini_net_is_symmetric(no_onednn):
    torch.manual_seed(0)
    net = LeakyNet(depth=10, widen=2, init="1_11_11_11", in_channels=1, pool="global").eval()
    assert symmetry_deviation(net) == 0
    with torch.no_grad():
        feats = net.features(torch.randn(16, 1, 8, 8))
    assert feats.shape == (16, 128) and distinct_channels(feats) == 1
    assert torch.count_nonzero(net(torch.randn(2, 1, 8, 8))) == 0  # zero fc
    ident = LeakyNet(depth=10, widen=2, init="i_ii_ii_ii", in_channels=3, pool="global")
    assert symmetry_deviation(ident) > 0


def test_wrn_16_10_parameter_count():
    net = LeakyNet(depth=16, widen=10, init="h_hhhh_hhhh_hhhh", alpha=ALPHA, in_channels=3, classes=10)
    assert sum(p.numel() for p in net.parameters()) == 16_858_066
    assert [b.use_bn for b in net.blocks] == [False, True] * 6
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_fc_noise():
    torch.manual_seed(0)
    net = LeakyNet(depth=7, widen=8, init="1_i_i_i", fc_noise=1.0)
    assert net.fc.weight.std().item() == pytest.approx(1 / 12, rel=0.1) and net.fc.bias.abs().sum() == 0


def test_correlations_identical_and_random_rows():
    w = torch.ones(6, 4, 3, 3) * torch.arange(9.0).view(3, 3)  # every kernel the same non-constant pattern
    cs = weight_correlations(w)
    assert cs["correlations"] == pytest.approx(1.0) and cs["forward"] == pytest.approx(1.0)
    assert neg_log_abs(cs["correlations"]) == pytest.approx(0.0, abs=1e-12)
    rng = torch.Generator().manual_seed(0)
    rand = weight_correlations(torch.randn(128, 96, 3, 3, generator=rng), rng=np.random.default_rng(0))
    assert all(abs(c) < 0.05 for c in rand.values()), rand
    assert weight_correlations(torch.randn(10, 20, generator=rng))["correlations"] == 1.0  # 1-value rows: degenerate
    assert weight_correlations(torch.randn(1, 20, generator=rng))["forward"] == 1.0  # a single row


def test_correlations_nan_rows_count_as_one():
    a, b = np.array([1.0, 2.0, 0.0, 5.0]), np.array([0.0, 1.0, 3.0, 1.0])
    w = torch.tensor(np.stack([a, b, np.zeros(4)]))  # linear [3, 4]: the zero row has zero variance
    r = np.corrcoef(a, b)[0, 1]
    assert weight_correlations(w)["forward"] == pytest.approx((r + 1 + 1) / 3)
    assert weight_correlations(torch.zeros(5, 3, 3, 3)) == {"correlations": 1.0, "forward": 1.0, "backward": 1.0}


def corrcoef_mean(rows: np.ndarray) -> float:
    """The definition, as the matrix: the mean of the strictly-lower triangle of np.corrcoef, NaN counted as 1."""
    if len(rows) < 2:
        return 1.0
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 1-value rows: zero degrees of freedom, NaN by design
        c = np.nan_to_num(np.corrcoef(rows.astype(np.float64)), nan=1.0)
    return float(c[np.tril_indices(len(rows), -1)].mean())


def layer_rows():
    """Rows where the sum form could part from the matrix: tiny and large k, 1-value and 2-value rows, identical,
    opposite, constant (0.1 has no exact mean of 9 copies), all-zero, float32 weights of real nets at
    initialisation (ConstNet's constant init: identical rows) and trained a little (a perturbed copy)."""
    g = torch.Generator().manual_seed(3)
    yield "two opposite", np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    yield "two values", np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 5.0]])
    yield "one value", torch.randn(7, 1, generator=g).numpy()
    yield "identical", np.tile(np.arange(9.0), (50, 1))
    yield "constant 0.1", np.vstack([np.full((20, 9), 0.1), torch.randn(30, 9, generator=g).numpy()])
    yield "all zero", np.zeros((5, 9))
    yield "large random", torch.randn(5000, 9, generator=g).numpy()
    yield "large wide", torch.randn(640, 5760, generator=g).numpy()
    torch.manual_seed(0)
    nets = {"constnet": ConstNet(10, 2, 1, init="const", pool="global"),
            "leakynet": LeakyNet(depth=10, widen=2, init="1_ii_1i_ii", in_channels=1)}
    for name, net in nets.items():
        for noise in (0.0, 1e-3):
            for layer, m in net.named_modules():
                if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
                    w = (m.weight.detach() + noise * torch.randn(m.weight.shape, generator=g)).double().numpy()
                    w = w.reshape(*w.shape[:2], -1)
                    yield f"{name} {layer} noise {noise} forward", w.reshape(w.shape[0], -1)
                    yield f"{name} {layer} noise {noise} backward", w.transpose(1, 0, 2).reshape(w.shape[1], -1)
                    yield f"{name} {layer} noise {noise} kernels", w.reshape(-1, w.shape[2])[:3000]


def test_mean_correlation_equals_the_matrix_form():
    checked = 0
    for case, rows in layer_rows():
        want, got = corrcoef_mean(rows), mean_correlation(rows)
        assert abs(got - want) <= 1e-12, (case, got, want)
        assert -1.0 <= got <= 1.0, case
        checked += 1
    assert checked > 60


def test_identical_rows_give_exactly_full_correlation_on_the_log_axis():
    """-ln|c| of identical rows is 0 up to rounding, never below 0 (the figure and the schema read it)."""
    for rows in (np.tile(np.arange(9.0), (50, 1)), np.tile(np.linspace(-1, 1, 9) * 0.37, (5000, 1))):
        assert 0.0 <= neg_log_abs(mean_correlation(rows)) <= 1e-12


def test_row_subsampling_is_deterministic():
    w = torch.randn(40, 30, 3, 3, generator=torch.Generator().manual_seed(1))
    one = weight_correlations(w, max_rows=50, rng=np.random.default_rng(7))
    two = weight_correlations(w, max_rows=50, rng=np.random.default_rng(7))
    other = weight_correlations(w, max_rows=50, rng=np.random.default_rng(8))
    assert one == two and one["correlations"] != other["correlations"]
    assert one["forward"] == weight_correlations(w, max_rows=5000)["forward"]  # 40 rows: no subsampling


def test_neg_log_abs_and_diversity():
    assert neg_log_abs(0.0) == math.inf and neg_log_abs(-math.e ** -2) == pytest.approx(2.0)
    assert diversity([0.0, 0.6]) == pytest.approx(math.log(0.8))
    assert diversity([0.1, -1.0]) == -math.inf


def test_distinct_channels_is_bitwise():
    f = torch.tensor([[1.0, 1.0, 2.0, 1.0], [3.0, 3.0, 3.0, 3.0 + 1e-6]])
    assert distinct_channels(f) == 3
    assert distinct_channels(torch.tensor([[0.0, -0.0]])) == 2  # bitwise, not ==
