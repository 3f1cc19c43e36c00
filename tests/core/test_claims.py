import pandas as pd
import pytest

from relurepro import claims
from relurepro.relu_prime.claims import volume_mnist_claims, volume_stats_claims


def volume_table(p32_by_layers, p64_hits=0):
    rows = []
    for panel, key, xs in (("layers", "layers", [1, 3]), ("neurons", "neurons", [16, 256]),
                           ("sample_size", None, [1.0, 5.0]), ("batch", "batch", [256])):
        for i, x in enumerate(xs):
            cell = {"variant": "relu_everywhere", "layers": 3, "neurons": 256, "batch": 256}
            if key:
                cell[key] = int(x)
            p32 = p32_by_layers[i] if panel != "batch" else p32_by_layers[1]
            for bits, p, hits in ((16, 80.0, 80), (32, p32, int(p32)), (64, 0.0, p64_hits)):
                rows.append({"panel": panel, "x": x, "bits": bits, **cell, "runs": 100, "bifurcated": hits,
                             "percent": p if bits != 64 else float(hits)})
    return pd.DataFrame(rows)


REFERENCE = pd.DataFrame({"figure": ["volume_mnist"], "quantity": ["percent_in_S01"],
                          "condition": ["panel=layers;x=3;bits=32"], "value": [46.3], "source": ["spec"]})


def test_volume_claims_pass_on_paper_like_data():
    rows = volume_mnist_claims(volume_table([2.0, 5.0]), REFERENCE, default_layers=3)
    assert all(r["passed"] for r in rows), rows
    assert any(r["published"] == "46.3 %" for r in rows)


def test_volume_claims_fail_when_the_data_disagree():
    rows = {r["claim"]: r for r in volume_mnist_claims(volume_table([5.0, 2.0], p64_hits=1), REFERENCE, 3)}
    assert not rows["64-bit: no run in S01 in any measured cell"]["passed"]
    assert not rows["32-bit proportion rises with depth (first vs last layers value)"]["passed"]


def test_stats_claims_and_control():
    stats = pd.DataFrame({"comparison": ["0_vs_0"] * 3 + ["1_vs_0"] * 3, "bits": [16, 32, 64] * 2,
                          "pct_runs_affected": [0, 0, 0, 50, 5, 0], "pct_minibatches_affected": [0, 0.1, 0, 3, 1, 0]})
    rows = {r["claim"]: r["passed"] for r in volume_stats_claims(stats)}
    assert rows == {"0-vs-0 control: no minibatch differs (determinism)": False,
                    "64-bit: no run affected (1 vs 0)": True,
                    "16-bit runs affected at least as often as 32-bit (1 vs 0)": True}


def test_claims_table_roundtrip_and_status(tmp_path):
    rows = [claims.claim("a", "f1", 1, 1, "==", True), claims.claim("b", "f1", 1, 2, "==", False),
            claims.claim("c", "f2", "x", "y", "~", True)]
    claims.write(rows, "quick", tmp_path / "c.csv")
    table = claims.read(tmp_path / "c.csv")
    assert claims.status_by_figure(table) == {"f1": "1/2", "f2": "1/1"}
    (tmp_path / "bad.csv").write_text("claim,passed\na,True\n")
    with pytest.raises(ValueError, match="bad.csv: expected claim columns"):
        claims.read(tmp_path / "bad.csv")


def test_vol_cdf_claims():
    from relurepro.relu_prime.claims import vol_cdf_claims

    checks = pd.DataFrame([
        {"figure": "vol_cifar_vgg11_nobn", "low_bits": 16, "high_bits": 32, "high_end": 0.6, "min_gap": 0.1,
         "samples_end": 100},
        {"figure": "vol_cifar_vgg11_bn", "low_bits": 16, "high_bits": 32, "high_end": 0.9, "min_gap": -0.1,
         "samples_end": 100},
        {"figure": "vol_svhn_vgg11_nobn", "low_bits": 32, "high_bits": 64, "high_end": 0.0, "min_gap": 0.0,
         "samples_end": 100},
    ])
    rows = {(r["figure"], r["claim"]): r["passed"] for r in vol_cdf_claims(checks)}
    assert rows == {
        ("vol_cifar_vgg11_nobn", "16-bit CDF >= 32-bit CDF over the whole window"): True,
        ("vol_svhn_vgg11_nobn", "64-bit never bifurcates over the window"): True,
        ("vol_svhn_vgg11_nobn", "32-bit CDF >= 64-bit CDF over the whole window"): True,
        ("vol_cifar_vgg11_bn", "batch norm makes 32-bit bifurcation faster (CDF at the window's end)"): True,
    }


def test_zeros_ratio_claims():
    from relurepro.relu_prime.claims import zeros_ratio_claims

    zeros = pd.DataFrame({"bits": [16, 32, 64], "zeros": [40, 1, 0], "relu_calls": [1e8, 1e9, 1e8]})
    assert [r["passed"] for r in zeros_ratio_claims(zeros)] == [True, True]
    zeros.loc[1, "zeros"] = 100
    assert [r["passed"] for r in zeros_ratio_claims(zeros)] == [False, True]


def test_training_claims():
    from relurepro.relu_prime.claims import training_claims

    rows = []
    for tier, accs in (("stress k=10", {(False, 0.0): 0.9, (False, 1.0): 0.2, (True, 0.0): 0.95, (True, 1.0): 0.9}),
                       ("faithful", {(False, 0.0): 0.9, (False, 1.0): 0.9, (True, 0.0): 0.95, (True, 1.0): 0.95})):
        for (bn, alpha), acc in accs.items():
            rows.append({"experiment": "mnist_sgd", "tier": tier, "batch_norm": bn, "relu": alpha, "dropout": 0.0,
                         "test_accuracy": acc, "exact_zeros": 0 if tier == "faithful" else 10})
    got = {r["claim"]: r["passed"] for r in training_claims(pd.DataFrame(rows))}
    assert got == {"alpha=0 has the best no-BN test accuracy (stress k=10)": True,
                   "batch norm shrinks the alpha effect (stress k=10)": True,
                   "faithful fp32: no exact zeros, so no alpha effect": True}
    rows[0]["test_accuracy"] = 0.1  # stress, no BN, alpha=0 now worst
    got = {r["claim"]: r["passed"] for r in training_claims(pd.DataFrame(rows))}
    assert not got["alpha=0 has the best no-BN test accuracy (stress k=10)"]


def test_training_claims_count_a_diverged_alpha_at_chance():
    from relurepro.relu_prime.claims import CHANCE_ACCURACY, training_claims

    # ResNet18-like: without BN alpha=1 diverges (the runner leaves its accuracy NaN unless counted at chance);
    # left out, the no-BN spread would be 0.2 and look smaller than the BN one.
    accs = {(False, 0.0): (0.7, 0), (False, 0.2): (0.5, 0), (False, 1.0): (CHANCE_ACCURACY, 2),
            (True, 0.0): (0.87, 0), (True, 0.2): (0.83, 0), (True, 1.0): (0.61, 0)}
    rows = pd.DataFrame([{"experiment": "cifar_resnet18_sgd", "tier": "stress k=17", "batch_norm": bn, "relu": alpha,
                          "dropout": 0.0, "test_accuracy": acc, "diverged_runs": diverged, "exact_zeros": 10}
                         for (bn, alpha), (acc, diverged) in accs.items()])
    got = {r["claim"]: r for r in training_claims(rows)}
    shrink = got["batch norm shrinks the alpha effect (stress k=17)"]
    assert shrink["passed"] and "2 diverged runs at chance" in shrink["measured"]
    assert got["alpha=0 has the best no-BN test accuracy (stress k=17)"]["passed"]
