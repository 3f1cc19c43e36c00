"""constnet claims (§1: C1-C5) in machine-checkable forms; no published numbers exist (§4), so `published`
shows earlier CPU measurements where there are some (§4)."""

from __future__ import annotations

import pandas as pd

from relurepro.claims import claim
from relurepro.constnet.grid import mechanism

DET = "constnet_deterministic"
MARGIN = {"paper": 20.0, "quick": 20.0, "smoke": -100.0}  # points by which breaking arms beat the det arm


def _ref(reference: pd.DataFrame, key: str) -> str:
    hit = reference[reference.quantity == key]
    return str(hit.value.iloc[0]) if len(hit) and pd.notna(hit.value.iloc[0]) else "n/a"


def _final(metrics: pd.DataFrame, kind: str) -> pd.Series:
    runs = metrics[metrics.kind == kind]
    return runs[runs.epoch == runs.epoch.max()].groupby("name").test_acc.mean() * 100


def claims(metrics: pd.DataFrame, correlations: pd.DataFrame, reference: pd.DataFrame, scale: str) -> list[dict]:
    rows = []
    const = metrics[metrics.kind == "constnet"]
    det = const[const.name == DET]
    if len(det):
        dev, distinct = det.symmetry_deviation.max(), det.distinct_channels.max()
        rows.append(claim("C2: without a symmetry breaker ConstNet stays exactly symmetric (every epoch)",
                          "symmetry_deviation",
                          f"max relative channel deviation {dev:.3g}, at most {int(distinct)} distinct final "
                          "channel(s)",
                          _ref(reference, "det_symmetry"), "deviation == 0 and 1 distinct channel",
                          dev == 0 and distinct == 1))
        final = _final(metrics, "constnet")
        det_acc = final[DET]
        for name, acc in final.drop(DET).items():
            run = const[const.name == name]
            a = run.iloc[0]
            how = mechanism("constnet", a.arm_init, a.arm_breaker, float(a.arm_droprate))
            last = run[run.epoch == run.epoch.max()].symmetry_deviation.min()
            rows.append(claim(f"C2/C3: {name} ({how}) breaks symmetry and beats the deterministic arm", "acc_curves",
                              f"{acc:.1f} % vs {det_acc:.1f} %; final symmetry deviation {last:.3g}",
                              _ref(reference, name), f"deviation > 0 and >= det + {MARGIN[scale]:g} points",
                              bool(last > 0 and acc >= det_acc + MARGIN[scale])))
        c = correlations[(correlations.kind == "constnet")]
        det_c = c[c.name == DET]
        rows.append(claim("C6: weight correlations stay 1 on the symmetric manifold (deterministic arm)", "weight_corr",
                          f"min |c| {det_c.c.abs().min():.6f} over {det_c.layer.nunique()} layers and all epochs",
                          "c = 1 at ConstNet init (§2.9)", "every |c| >= 1 - 1e-9",
                          bool((det_c.c.abs() >= 1 - 1e-9).all())))
        last = c[(c.name != DET) & (c.epoch == c.epoch.max()) & (c.kind_corr == "forward")]
        share = last.groupby("name").apply(lambda g: (g.c.abs() < 0.99).mean(), include_groups=False)
        rows.append(claim("C6: correlations leave 1 once symmetry breaks (share of layers with forward |c| < 0.99 at "
                          "the last epoch)", "weight_corr", "; ".join(f"{n}: {s:.0%}" for n, s in share.items()),
                          "n/a", "> 50 % of layers in every breaking arm", bool((share > 0.5).all())))
    leaky = _final(metrics, "leakynet")
    if len(leaky):
        averaging = [n for n in leaky.index if n.replace("_", "")[1:] and set(n.replace("_", "")) <= {"1"}]
        random = [n for n in leaky.index if n.startswith("h")]
        if averaging and random:
            a, r = leaky[averaging[0]], leaky[random[0]]
            rows.append(claim(f"C5: LeakyNet with only averaging layers ({averaging[0]}) loses to random init "
                              f"({random[0]})", "leakynet_table", f"{a:.1f} % vs {r:.1f} %",
                              _ref(reference, "leakynet_averaging"), "random - averaging >= 20 points", r - a >= 20))
        blocked = [n for n in leaky.index if _blocks_breaking(n)]
        free = [n for n in leaky.index if "1" not in n.split("_", 1)[1]]
        if blocked and free:
            rows.append(claim("C5: an averaging group blocks symmetry breaking (LeakyNet strings with a fully "
                              "averaging group, or averaging as every group's last layer, vs strings without "
                              "averaging layers after the stem)", "leakynet_table",
                              "; ".join(f"{n}: {leaky[n]:.1f} %" for n in leaky.index),
                              _ref(reference, "leakynet_blocked"), "every blocked < 40 % and every free >= 90 %",
                              bool(leaky[blocked].max() < 40 and leaky[free].min() >= 90)))
    return rows


def _blocks_breaking(init: str) -> bool:
    """Whether a LeakyNet init string leaves no path for a perturbation to survive: some group averages in all its
    layers, or every group ends in an averaging layer (§5.2)."""
    groups = init.split("_")[1:]
    return any(set(g) == {"1"} for g in groups) or all(g.endswith("1") for g in groups)
