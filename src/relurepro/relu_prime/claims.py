"""relu_prime's claims (§1) checked on the aggregated tables of one run of the pipeline."""

from __future__ import annotations

import pandas as pd

from relurepro.claims import claim


def _pct(x: float) -> str:
    return f"{x:.3g} %"


def volume_mnist_claims(table: pd.DataFrame, reference: pd.DataFrame, default_layers: int) -> list[dict]:
    """C2 on the volume_mnist panels: precision ordering and the 32-bit trends (default cell: the layers panel's
    point at `default_layers`)."""
    fig = "volume_mnist"
    cells = table.drop_duplicates(["variant", "layers", "neurons", "batch", "bits"]).query("panel != 'sample_size'")
    wide = cells.pivot_table(index=["variant", "layers", "neurons", "batch"], columns="bits", values="percent")
    b64 = table[table.bits == 64].drop_duplicates(["variant", "layers", "neurons", "batch"])
    rows = [
        claim("64-bit: no run in S01 in any measured cell", fig,
              f"{int(b64.bifurcated.sum())} of {int(b64.runs.sum())} runs", "0 (neurons panel, 1000 runs)",
              "== 0", b64.bifurcated.sum() == 0),
        claim("16-bit >= 32-bit in every cell", fig, f"min difference {_pct((wide[16] - wide[32]).min())}",
              "16-bit >= 32-bit in all 15 published cells", ">= 0", (wide[16] >= wide[32]).all()),
    ]

    def panel(name, bits=32):
        return table[(table.panel == name) & (table.bits == bits)].sort_values("x")

    def published(name, x, bits=32):
        hit = reference[(reference.figure == fig) & (reference.condition == f"panel={name};x={x:g};bits={bits}")]
        return f"{float(hit.value.iloc[0]):g} %" if len(hit) else "n/a"

    default = panel("layers").set_index("layers").loc[default_layers]
    d16 = panel("layers", 16).set_index("layers").loc[default_layers]
    rows.append(claim("32-bit strictly between 0 and 100 % at the default cell", fig, _pct(default.percent),
                      published("layers", default_layers), "0 < p < 100", 0 < default.percent < 100))
    rows.append(claim("16-bit far above 32-bit at the default cell", fig,
                      f"{_pct(d16.percent)} vs {_pct(default.percent)}", "100 % vs 46.3 %", "p16 >= 2 p32",
                      d16.percent >= 2 * default.percent))
    for name, label in (("neurons", "width"), ("layers", "depth"), ("sample_size", "sample size")):
        p = panel(name)
        first, last = p.iloc[0], p.iloc[-1]
        rows.append(claim(f"32-bit proportion rises with {label} (first vs last {name} value)", fig,
                          f"{_pct(first.percent)} at {first.x:g} -> {_pct(last.percent)} at {last.x:g}",
                          f"{published(name, first.x)} -> {published(name, last.x)}" if name != "sample_size"
                          else "~10 % at 10k -> ~42 % at 60k", "last > first", last.percent > first.percent))
    return rows


def volume_stats_claims(stats: pd.DataFrame) -> list[dict]:
    """The Section-3 statistics: the 0-vs-0 control is clean, 64 bit unaffected, 16 bit most affected."""
    fig = "volume_mnist_stats"
    by = stats.set_index(["comparison", "bits"])
    control = stats[stats.comparison == "0_vs_0"]
    return [
        claim("0-vs-0 control: no minibatch differs (determinism)", fig,
              _pct(control.pct_minibatches_affected.max()), "0 % (control added here)", "== 0",
              (control.pct_minibatches_affected == 0).all()),
        claim("64-bit: no run affected (1 vs 0)", fig, _pct(by.loc[("1_vs_0", 64), "pct_runs_affected"]), "0 %",
              "== 0", by.loc[("1_vs_0", 64), "pct_runs_affected"] == 0),
        claim("16-bit runs affected at least as often as 32-bit (1 vs 0)", fig,
              f"{_pct(by.loc[('1_vs_0', 16), 'pct_runs_affected'])} vs "
              f"{_pct(by.loc[('1_vs_0', 32), 'pct_runs_affected'])}", "100 % vs 44.5 % (printed ratio)",
              "p16 >= p32", by.loc[("1_vs_0", 16), "pct_runs_affected"] >= by.loc[("1_vs_0", 32),
                                                                                   "pct_runs_affected"]),
    ]


def vol_cdf_claims(checks: pd.DataFrame) -> list[dict]:
    """C3 on the vol_* CDFs (one row per figure from `vol_cdf.figure_checks`): precision ordering, 64 bit stays 0,
    batch norm speeds up 32-bit bifurcation."""
    rows = []
    by = checks.set_index("figure")
    for fig, r in by.iterrows():
        low, high = int(r.low_bits), int(r.high_bits)
        if high == 64:
            rows.append(claim("64-bit never bifurcates over the window", fig,
                              f"CDF {r.high_end:.2f} at {int(r.samples_end):,} samples", "0 over ~531k samples",
                              "== 0", r.high_end == 0))
        if fig != "vol_cifar_vgg11_bn":  # the published VGG11+BN data are the exception (16 b slightly below 32 b)
            rows.append(claim(f"{low}-bit CDF >= {high}-bit CDF over the whole window", fig,
                              f"min gap {r.min_gap:+.2f}", f"{low}-bit ahead in the published CDFs",
                              ">= 0", r.min_gap >= 0))
    for nobn, bn in (("vol_cifar_vgg11_nobn", "vol_cifar_vgg11_bn"), ("vol_cifar_resnet18_nobn",
                                                                      "vol_cifar_resnet18_bn"),
                     ("vol_mnist_nobn", "vol_mnist_bn")):
        if nobn in by.index and bn in by.index:
            a, b = by.loc[nobn], by.loc[bn]
            rows.append(claim("batch norm makes 32-bit bifurcation faster (CDF at the window's end)", bn,
                              f"{b.high_end:.2f} with BN vs {a.high_end:.2f} without", "faster with BN (C3)",
                              "with > without", b.high_end > a.high_end))
    return rows


def zeros_ratio_claims(zeros: pd.DataFrame) -> list[dict]:
    """C6: exact zeros in pre-activations are far more frequent in 16 than in 32 bit; none in 64 bit."""
    fig = "zeros_ratio"
    totals = zeros.groupby("bits")[["zeros", "relu_calls"]].sum()
    rate = totals["zeros"] / totals["relu_calls"]
    rows = [claim("16-bit exact zeros per ReLU call >= 5x the 32-bit rate", fig,
                  f"{rate.get(16, float('nan')):.2g} vs {rate.get(32, float('nan')):.2g}",
                  "3e-8..1e-7 vs 1e-9..6e-9 (typical, N >= 64)", "r16 >= 5 r32",
                  rate.get(16, 0) > 0 and rate.get(16, 0) >= 5 * rate.get(32, 0))]
    if 64 in rate.index:
        rows.append(claim("64-bit: no exact zero", fig, f"{int(totals.loc[64, 'zeros'])} zeros in "
                          f"{totals.loc[64, 'relu_calls']:.3g} calls", "not measured (64 bit not run)", "== 0",
                          totals.loc[64, "zeros"] == 0))
    return rows


# Every relu_prime training dataset has 10 classes; a diverged run (non-finite loss) predicts no better than
# chance, and the paper reads divergence as the strongest alpha effect (ResNet18 without BN, alpha >= 0.3).
CHANCE_ACCURACY = 0.1


def training_claims(accuracy: pd.DataFrame) -> list[dict]:
    """C4/C5 from last-epoch test accuracies (`aggregate.last_epoch_accuracy`, diverged runs counted at
    CHANCE_ACCURACY): in the stress tier ReLU'(0)=0 is best without BN and BN shrinks the alpha effect; a faithful
    tier without exact zeros shows no alpha effect at all (the zero counter explains it)."""
    rows = []
    for (experiment, tier), g in accuracy[accuracy.dropout == 0].groupby(["experiment", "tier"], sort=True):
        fig = experiment if experiment == "mnist_dropout" else f"{experiment}_test"
        spread = {bn: (h.test_accuracy.max() - h.test_accuracy.min()) for bn, h in g.groupby("batch_norm")}
        nobn = g[~g.batch_norm].set_index("relu").test_accuracy
        diverged = int(g["diverged_runs"].sum()) if "diverged_runs" in g else 0
        runs = "run" if diverged == 1 else "runs"
        at_chance = f" ({diverged} diverged {runs} at chance, {CHANCE_ACCURACY})" if diverged else ""
        if tier.startswith("stress") and 0.0 in nobn.index and len(nobn) > 1:
            rows.append(claim(f"alpha=0 has the best no-BN test accuracy ({tier})", fig,
                              f"{nobn.loc[0.0]:.3f} vs best other {nobn.drop(0.0).max():.3f}{at_chance}",
                              "alpha=0 most robust (C4)", "acc(0) >= acc(others)",
                              nobn.loc[0.0] >= nobn.drop(0.0).max()))
            if True in spread and False in spread:
                rows.append(claim(f"batch norm shrinks the alpha effect ({tier})", fig,
                                  f"spread {spread[True]:.3f} with BN vs {spread[False]:.3f} without{at_chance}",
                                  "BN removes or shrinks the effect (C4)", "spread(BN) < spread(no BN)",
                                  spread[True] < spread[False]))
        elif tier == "faithful":
            zeros, widest = int(g.exact_zeros.sum()), max(spread.values())
            rows.append(claim("faithful fp32: no exact zeros, so no alpha effect", fig,
                              f"{zeros} exact zeros; accuracy spread over alpha {widest:.3g}",
                              "no alpha effect at CPU scale (§5.3.5)", "zeros == 0 implies spread == 0",
                              zeros > 0 or widest == 0))
    return rows
