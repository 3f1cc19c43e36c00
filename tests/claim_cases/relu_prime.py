"""relu_prime: minimal aggregated tables (intro traces, volume panels, statistics, CDFs, zero counts, last-epoch
accuracies, the ImageNet table) that satisfy or violate each claim. Published comparisons are built at paper scale,
where they are checked; the stress-tier claims at quick scale, the only one with a stress tier."""

import pandas as pd

from relurepro.relu_prime.claims import (imagenet_claims, intro_claims, training_claims, vol_cdf_claims,
                                         volume_mnist_claims, volume_stats_claims, zeros_ratio_claims)

SCALE = "quick"
REF_COLUMNS = ["figure", "quantity", "condition", "value", "source"]
NO_REFERENCE = pd.DataFrame(columns=REF_COLUMNS)


def ref(*rows) -> pd.DataFrame:
    return pd.DataFrame([dict(zip(REF_COLUMNS, r)) for r in rows])


# ------------------------------------------------------------------------------------------------ C1: intro traces
def trace(bits, differences, zero_at=None) -> pd.DataFrame:
    n = len(differences)
    return pd.DataFrame({"iteration": range(n), "difference12": differences, "bits": bits,
                         "zeros1": [int(i == zero_at) for i in range(n)], "zeros2": 0})


def _intro(fp32_end=0.5, fp64_zero_at=None):
    fp32 = trace(32, [0.0] * 5 + [0.1, 0.2, 0.3, 0.4, fp32_end], zero_at=4)
    return intro_claims(pd.concat([fp32, trace(64, [0.0] * 10, zero_at=fp64_zero_at)]), SCALE)


def zone(zeros32=30, zeros64=0, points=100) -> pd.DataFrame:
    z = {32: [0.0] * zeros32 + [1e-7] * (points - zeros32), 64: [0.0] * zeros64 + [1e-7] * (points - zeros64)}
    return pd.DataFrame([{"bits": b, "z": v, "exact_zero": True, "iteration": 65} for b in (32, 64) for v in z[b]])


# ------------------------------------------------------------------------------------------------ C2: volume_mnist
def cell(panel, x, bits, hits, runs=1000, layers=3, neurons=256) -> dict:
    layers, neurons = (x, neurons) if panel == "layers" else (layers, x) if panel == "neurons" else (layers, neurons)
    return {"panel": panel, "x": float(x), "bits": bits, "variant": "relu_everywhere", "layers": layers,
            "neurons": neurons, "batch": 256, "runs": runs, "bifurcated": hits, "percent": 100 * hits / runs}


def _volume(cells, reference=NO_REFERENCE, scale=SCALE):
    return volume_mnist_claims(pd.DataFrame(cells), reference, 3, scale)


DEFAULT_32 = ref(("volume_mnist", "percent_in_S01", "panel=layers;x=3;bits=32", 46.3, "§4.1 (original CSV)"))


def stats(pct_64=0.0) -> pd.DataFrame:
    rows = [("1_vs_0", 16, 100.0, 30.0), ("1_vs_0", 32, 45.0, 0.2), ("1_vs_0", 64, pct_64, pct_64 / 100),
            ("0_vs_0", 32, 0.0, 0.0)]
    return pd.DataFrame([{"comparison": c, "bits": b, "runs": 1000, "minibatches": 235000, "pct_runs_affected": r,
                          "pct_minibatches_affected": m} for c, b, r, m in rows])


# ------------------------------------------------------------------------------------------------ C3: vol_* CDFs
def curve(figure, bits, cdf, runs=1000, bn=0) -> list[dict]:
    return [{"figure": figure, "bits": bits, "bn": bn, "batch_idx": i, "samples": 128 * (i + 1), "cdf": c,
             "bifurcated": round(c * runs), "runs": runs} for i, c in enumerate(cdf)]


def rising(first, at10, n=12) -> list[float]:
    """A CDF at `first` after one batch, `at10` after 10 batches, 1 at the end."""
    steps = [first + (at10 - first) * i / 9 for i in range(10)]
    return steps + [1.0] * (n - 10)


def _cdf(rows, reference=NO_REFERENCE, scale=SCALE):
    return vol_cdf_claims(pd.DataFrame(rows), reference, scale)


FIRST_32 = ref(("vol_cifar_vgg11_nobn", "percent_bifurcated_within_k_batches", "vgg11;bn=0;bits=32;k=1;batch=128",
                10.4, "§4.2 (original CSV)"))


# ------------------------------------------------------------------------------------------------ C4, C5: training
def acc(experiment, tier, bn, alpha, accuracy, sd=0.002, runs=10, dropout=0.0, zeros=50) -> dict:
    return {"experiment": experiment, "tier": tier, "batch_norm": bn, "relu": float(alpha), "dropout": dropout,
            "runs": runs, "diverged_runs": 0, "test_accuracy": accuracy, "test_accuracy_sd": sd, "exact_zeros": zeros}


def vgg_sgd(nobn_1=0.868, bn_1=0.917):
    """VGG11 SGD cells as published (relu_prime §4.3): .896 -> .868 without BN, flat with BN."""
    return pd.DataFrame([acc("cifar_vgg11_sgd", "faithful", False, 0, 0.896),
                         acc("cifar_vgg11_sgd", "faithful", False, 1, nobn_1),
                         acc("cifar_vgg11_sgd", "faithful", True, 0, 0.918),
                         acc("cifar_vgg11_sgd", "faithful", True, 1, bn_1)])


def stress(nobn_half=0.5, bn_1=0.90):
    t = "stress k=17"
    cells = [(False, 0, 0.95), (False, 0.5, nobn_half), (False, 1, 0.10), (True, 0, 0.96), (True, 0.5, 0.95),
             (True, 1, bn_1)]
    return pd.DataFrame([acc("cifar_resnet18_sgd", t, bn, a, v, runs=2) for bn, a, v in cells])


def dropout(alpha1_at_half=0.9861):
    cells = [(p, a, 0.986 if not (p == 0.5 and a == 1) else alpha1_at_half) for p in (0.0, 0.5) for a in (0, 1)]
    return pd.DataFrame([acc("mnist_dropout", "faithful", False, a, v, sd=0.001, runs=2, dropout=p)
                         for p, a, v in cells])


# ------------------------------------------------------------------------------------------------ C7: ImageNet
def imagenet(top1_alpha1=60.0) -> pd.DataFrame:
    return pd.DataFrame({"alpha": [0.0, 1.0], "runs": [2, 2], "top1_mean": [75.0, top1_alpha1]})


CASES = {
    # fp32: the nets never part although an exact zero was met
    "rp.C1_fp32_diverges": lambda violate: _intro(fp32_end=0.0 if violate else 0.5),
    # fp64 meets an exact zero at iteration 7 (the nets could part there)
    "rp.C1_fp64_identical": lambda violate: _intro(fp64_zero_at=7 if violate else None),
    # as many exact zeros on the fp64 grid as on the fp32 one: no band
    "rp.C1_zone": lambda violate: intro_claims(trace(32, [0.0]), SCALE, zone(zeros64=30 if violate else 0)),
    # the default 32-bit cell at 10 % instead of 46.3 % over 1000 runs
    "rp.C2_published": lambda violate: _volume([cell("layers", 3, 32, 100 if violate else 463)], DEFAULT_32,
                                               "paper"),
    # one 64-bit run in S01
    "rp.C2_64bit": lambda violate: _volume([cell("neurons", 256, 64, int(violate), runs=10)])
    + volume_stats_claims(stats(0.1 if violate else 0.0), NO_REFERENCE, SCALE),
    # 16-bit below 32-bit at N=256
    "rp.C2_16_over_32": lambda violate: _volume([cell("neurons", 256, 16, 400 if violate else 1000),
                                                 cell("neurons", 256, 32, 478)]),
    # the default cell never bifurcates in 32 bit
    "rp.C2_default_between": lambda violate: _volume([cell("layers", 3, 32, 0 if violate else 463)]),
    # N=1024 at 3 % against 2.1 % at N=16: the intervals overlap
    "rp.C2_rises": lambda violate: _volume([cell("neurons", 16, 32, 21), cell("neurons", 1024, 32,
                                                                              30 if violate else 873)]),
    # 32-bit VGG11 at 30 % after the first batch instead of 10.4 %
    "rp.C3_published": lambda violate: _cdf(curve("vol_cifar_vgg11_nobn", 16, [1.0] * 12)
                                            + curve("vol_cifar_vgg11_nobn", 32, rising(0.3 if violate else 0.104, 0.7)),
                                            FIRST_32, "paper"),
    # SVHN 64-bit ends at 0.1
    "rp.C3_64bit": lambda violate: _cdf(curve("vol_svhn_vgg11_nobn", 32, rising(0.9, 1.0))
                                        + curve("vol_svhn_vgg11_nobn", 64, [0.0] * 11 + [0.1 if violate else 0.0])),
    # 16-bit starts at 5 % where 32-bit is at 10 %
    "rp.C3_16_over_32": lambda violate: _cdf(curve("vol_cifar_vgg11_nobn", 16, rising(0.05, 0.8) if violate
                                                   else [1.0] * 12)
                                             + curve("vol_cifar_vgg11_nobn", 32, rising(0.1, 0.7))),
    # with BN at 50 % after 10 batches, without at 70 %
    "rp.C3_bn_faster": lambda violate: _cdf(curve("vol_cifar_vgg11_nobn", 16, [1.0] * 12)
                                            + curve("vol_cifar_vgg11_nobn", 32, rising(0.1, 0.7))
                                            + curve("vol_cifar_vgg11_bn", 16, rising(0.2, 0.9), bn=1)
                                            + curve("vol_cifar_vgg11_bn", 32, rising(0.26, 0.5 if violate else 0.94),
                                                    bn=1)),
    # 16-bit zeros only 3x the 32-bit rate
    "rp.C6_16_over_32": lambda violate: zeros_ratio_claims(pd.DataFrame(
        {"bits": [16, 32], "zeros": [90, 30 if violate else 5], "relu_calls": [1e9, 1e9]}), SCALE),
    # one exact zero in 64 bit
    "rp.C6_64bit": lambda violate: zeros_ratio_claims(pd.DataFrame(
        {"bits": [64], "zeros": [int(violate)], "relu_calls": [1e9]}), SCALE),
    # alpha = 1 within 0.1 point of alpha = 0 without BN (the gap is inside the runs' spread)
    "rp.C4_drop": lambda violate: training_claims(vgg_sgd(nobn_1=0.895 if violate else 0.868), NO_REFERENCE, "paper"),
    # with BN alpha = 1 loses 7 points, more than without
    "rp.C4_bn_shrinks": lambda violate: training_claims(vgg_sgd(bn_1=0.85 if violate else 0.917), NO_REFERENCE,
                                                        "paper"),
    # alpha = 0.5 beats alpha = 0 without BN
    "rp.C4_stress_alpha0_best": lambda violate: training_claims(stress(nobn_half=0.97 if violate else 0.5),
                                                                NO_REFERENCE, SCALE),
    # with BN alpha = 1 collapses to 0.05, a wider spread than without
    "rp.C4_stress_bn_shrinks": lambda violate: training_claims(stress(bn_1=0.05 if violate else 0.90), NO_REFERENCE,
                                                               SCALE),
    # at p = 0.5 alpha = 1 loses 4 points with a spread of 0.1 point
    "rp.C5_dropout": lambda violate: training_claims(dropout(0.946 if violate else 0.9861), NO_REFERENCE, SCALE),
    # alpha = 0 only 5 points above alpha = 1
    "rp.C7_imagenet": lambda violate: imagenet_claims(imagenet(70.0 if violate else 60.0), "paper"),
}
