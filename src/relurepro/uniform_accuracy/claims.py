"""uniform_accuracy claims C1-C5 (§1.2) in their machine-checkable forms: §5.1.6 at paper scale, the robust
CPU checks of §5.2.4 otherwise. No exact values are asserted."""

from __future__ import annotations

import pandas as pd

from relurepro.claims import claim
from relurepro.uniform_accuracy.aggregate import curves, power_fit

# Thresholds per scale: (ratio d=1, ratio d=3, slope tolerance, d3/d1 factor, sine ratio).
THRESHOLDS = {"paper": (3.0, 3.0, 0.0, 10.0, 3.0), "quick": (2.0, 3.0, 0.05, 4.0, 3.0),
              "smoke": (2.0, 3.0, 0.05, 4.0, 3.0)}


def _ref(reference: pd.DataFrame, key: str) -> str:
    hit = reference[reference.quantity == key]
    return str(hit.value.iloc[0]) if len(hit) else "n/a"


def claims(table: pd.DataFrame, windows: pd.DataFrame, reference: pd.DataFrame, scale: str) -> list[dict]:
    ratio1, ratio3, tol, factor, sine_ratio = THRESHOLDS[scale]
    rows = []
    dims = sorted(table.d.unique())
    linf_max = {}
    for d in dims:
        c = curves(table, d)
        l2, linf = c[("L2", "max")].set_index("m").error, c[("Linfinity", "max")].set_index("m").error
        linf_max[d] = linf
        ratio = linf / l2
        threshold = ratio1 if d == 1 else ratio3
        rows.append(claim(f"C2: L-infinity_max / L2_max > {threshold:g} at every m (d = {d})", f"minmax_d{d}",
                          "; ".join(f"m={m}: {r:.2f}" for m, r in ratio.items()), _ref(reference, f"C2_d{d}"),
                          f"min ratio > {threshold:g}", ratio.min() > threshold))
        if d == 3:
            rows.append(claim("C4: in d = 3 the ratio L-infinity_max / L2_max at the largest m >= at the smallest",
                              "minmax_d3", f"{ratio.iloc[0]:.2f} at m={ratio.index[0]} -> {ratio.iloc[-1]:.2f} at "
                              f"m={ratio.index[-1]}", _ref(reference, "C4"), "last >= first",
                              ratio.iloc[-1] >= ratio.iloc[0]))
            s2, sinf = power_fit(l2.index, l2)[1], power_fit(linf.index, linf)[1]
            rows.append(claim("C3: in d = 3 the L2_max slope is at least as steep as the L-infinity_max slope",
                              "minmax_d3", f"L2 {s2:.2f}, L-infinity {sinf:.2f}", _ref(reference, "C3"),
                              f"slope(L2) <= slope(Linf) + {tol:g}", s2 <= sinf + tol))
    if 1 in linf_max and 3 in linf_max:
        common = linf_max[1].index.intersection(linf_max[3].index)
        q = linf_max[3][common] / linf_max[1][common]
        rows.append(claim(f"C5: L-infinity_max(d = 3) > {factor:g} x L-infinity_max(d = 1) at every common m",
                          "minmax_d3", "; ".join(f"m={m}: {r:.1f}x" for m, r in q.items()) or "no common m",
                          _ref(reference, "C5"), f"min factor > {factor:g}", len(q) > 0 and q.min() > factor))
    w = windows.iloc[0]
    ratio = w.interior_linf / w.l2
    rows.append(claim(f"C1: sine run, interior L-infinity / L2 >= {sine_ratio:g}", "illustration",
                      f"{w.interior_linf:.3g} / {w.l2:.3g} = {ratio:.1f}", _ref(reference, "C1"),
                      f">= {sine_ratio:g}", ratio >= sine_ratio))
    if scale != "paper":
        rows.append(claim("C1: sine run converged (L2 <= 1e-2)", "illustration", f"{w.l2:.3g}",
                          _ref(reference, "C1_l2"), "<= 0.01", w.l2 <= 1e-2))
    return rows
