"""relu_prime's claims (spec §1) checked on the aggregated tables of one run of the pipeline."""

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
