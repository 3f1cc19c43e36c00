"""leaf result tables (§3.1-3.5): per (net, dataset) CSVs in the original's column layout, per net LaTeX tables
with both dataset columns, and the multi-seed table the original never aggregated."""

from __future__ import annotations

import pandas as pd

from relurepro.leaf.grid import BOUNDED, DATASET_COLUMNS, LINEAR_UNITS, table_variants

GROUPS = {"lin_un": LINEAR_UNITS, "bou_fn": BOUNDED}
CONFIG = ["net", "ds", "af", "type", "opt", "dspt", "p24sl"]
_TYPE = {"base": "Base", "ahaf": "AHAF", "leaf": "LEAF"}


def _alg(dspt: int, p24sl: int, classic: str) -> str:
    return ", ".join(p for p, on in (("DSPT", dspt), ("P24Sl", p24sl)) if on) or classic


def group_rows(summary: pd.DataFrame, net: str, ds: str, group: str, seed: int) -> pd.DataFrame:
    """The group's rows (README order) for one (net, dataset): Type, CNN AF, FFN AF, Tr. Alg., accuracy, 1-based
    epoch, mean epoch time. A configuration without a run is left out (the original skipped it silently; the
    manifest lists what is missing)."""
    rows = []
    for af in GROUPS[group]:
        for kind, opt, dspt, p24sl in table_variants(af):
            hit = summary[(summary.net == net) & (summary.ds == ds) & (summary.af == af) & (summary.type == kind)
                          & (summary.opt == opt) & (summary.dspt == dspt) & (summary.p24sl == p24sl)
                          & (summary.seed == seed)]
            if len(hit):
                r = hit.iloc[0]
                rows.append({"Type": _TYPE[kind], "CNN AF": af, "FFN AF": af, "Tr. Alg.": _alg(dspt, p24sl, "Stand."),
                             "Accuracy, %": round(r.best_acc, 2), "Epoch": int(r.best_epoch),
                             "It. time, s": r.it_time})
    return pd.DataFrame(rows, columns=["Type", "CNN AF", "FFN AF", "Tr. Alg.", "Accuracy, %", "Epoch", "It. time, s"])


def latex_rows(summary: pd.DataFrame, net: str, group: str, seed: int) -> pd.DataFrame:
    """Activ. | Init. | Procedure | F-MNIST Acc.,% | Ep. | CIFAR-10 Acc.,% | Ep.; a dataset without the run shows
    -1.00% / -1 as in the original."""
    per_ds = {ds: group_rows(summary, net, ds, group, seed) for ds in DATASET_COLUMNS}
    rows = []
    for af in GROUPS[group]:
        for kind, _, dspt, p24sl in table_variants(af):
            short = "Sigm." if af == "Sigmoid" else af
            row = {"Activ.": short if kind == "base" else _TYPE[kind], "Init.": "N/A" if kind == "base" else short,
                   "Procedure": _alg(dspt, p24sl, "Classic")}
            for ds, label in zip(DATASET_COLUMNS, ("F-MNIST", "CIFAR-10")):
                t = per_ds[ds]
                hit = t[(t.Type == _TYPE[kind]) & (t["CNN AF"] == af) & (t["Tr. Alg."] == _alg(dspt, p24sl, "Stand."))]
                row[f"{label} Acc.,%"] = f"{hit['Accuracy, %'].iloc[0]:.2f}%" if len(hit) else "-1.00%"
                row[f"{label} Ep."] = int(hit.Epoch.iloc[0]) if len(hit) else -1
            rows.append(row)
    return pd.DataFrame(rows)


def seeds_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Per configuration run with more than one seed: each seed's best accuracy, mean +- std, min and max."""
    rows = []
    for key, g in summary.groupby(CONFIG):
        if g.seed.nunique() < 2:
            continue
        acc = g.set_index("seed").best_acc.sort_index()
        rows.append({**dict(zip(CONFIG, key)), **{f"seed {s}": round(v, 2) for s, v in acc.items()},
                     "mean": round(acc.mean(), 2), "std": round(acc.std(), 2), "min": round(acc.min(), 2),
                     "max": round(acc.max(), 2), "seeds": len(acc)})
    return pd.DataFrame(rows)
