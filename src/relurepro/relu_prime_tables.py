"""Tables of relu_prime: the original's tuned learning rates (best_lr, spec 3.30) and the ImageNet ResNet50
summary (imagenet_resnet50, spec 3.29).

Pandas only (no torch), so the figure notebooks' environment can import it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

# config/reference/relu_prime_best_lr.csv: the learning rates stored in the original code's best_lr.csv files
# (later protocol P3, Optuna on 1 epoch; spec 4.5). Facts copied from the spec, not regenerated here.
BEST_LR_COLUMNS = {
    "dataset": "cifar10, svhn or mnist",
    "network": "resnet18, vgg11 or mnist (the 784-2048x3-10 MLP)",
    "batch_norm": "True / False",
    "optimizer": "sgd or adam",
    "relu": "ReLU'(0) = alpha",
    "lr": "tuned learning rate as stored (rounded to 5 decimals in the original files)",
    "note": "remarks (e.g. an incomplete original file)",
}


def load_best_lr(path: str | Path) -> pd.DataFrame:
    """The reference table, checked: fails naming the file on wrong columns, values or duplicates."""
    df = pd.read_csv(path, keep_default_na=False)
    if list(df.columns) != list(BEST_LR_COLUMNS):
        raise ValueError(f"{path}: expected columns {list(BEST_LR_COLUMNS)}, found {list(df.columns)}")
    df["batch_norm"] = df["batch_norm"].map({True: True, False: False, "True": True, "False": False})
    df["relu"] = pd.to_numeric(df["relu"], errors="coerce")
    df["lr"] = pd.to_numeric(df["lr"], errors="coerce")
    keys = ["dataset", "network", "batch_norm", "optimizer", "relu"]
    bad = df[df["batch_norm"].isna() | df["relu"].isna() | ~(df["lr"] > 0) | ~df["optimizer"].isin(["sgd", "adam"])
             | df.duplicated(keys, keep=False)]
    if len(bad) or df.empty:
        raise ValueError(f"{path}: malformed, duplicated or no rows:\n{bad.head()}")
    return df


def config_label(row) -> str:
    """dataset/network/BN|noBN/optimizer, the original's folder layout."""
    return f"{row['dataset']}/{row['network']}/{'BN' if row['batch_norm'] else 'noBN'}/{row['optimizer']}"


def best_lr_table(df: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration (original folder order kept): alphas, lrs, the alpha with the largest lr."""
    rows = []
    for label, g in df.assign(config=df.apply(config_label, axis=1)).groupby("config", sort=False):
        g = g.sort_values("relu")
        rows.append({
            "config": label, "n_alpha": len(g),
            "alpha_lr": ", ".join(f"{a:g}: {lr:g}" for a, lr in zip(g["relu"], g["lr"])),
            "lr_at_0": g.loc[g["relu"] == 0, "lr"].iloc[0] if (g["relu"] == 0).any() else np.nan,
            "alpha_of_max_lr": g.loc[g["lr"].idxmax(), "relu"],
            "note": "; ".join(sorted({n for n in g["note"] if n})),
        })
    return pd.DataFrame(rows)


# --- ImageNet ------------------------------------------------------------------------------------------------

IMAGENET_COLUMNS = {
    "alpha": "ReLU'(0)",
    "runs": "runs finished",
    "epochs": "epochs per run (last epoch reported)",
    "top1_mean": "mean final validation top-1 accuracy (%)",
    "top1_sd": "its standard deviation over runs (%; NaN for one run)",
    "top5_mean": "mean final validation top-5 accuracy (%)",
    "top5_sd": "its standard deviation (%)",
    "top1_runs": "per-run final top-1 (%), ';'-separated, run order",
    "top5_runs": "per-run final top-5 (%)",
    "diverged_runs": "runs stopped by a non-finite loss",
}
_METRICS = ("epoch", "val_top1", "val_top5", "diverged")


def imagenet_summary(run_csvs: dict[tuple[float, int], str | Path]) -> pd.DataFrame:
    """Final top-1/top-5 per alpha from per-run metrics CSVs keyed by (alpha, run)."""
    rows = []
    for alpha in sorted({a for a, _ in run_csvs}):
        finals, diverged, epochs = [], 0, set()
        for (a, run) in sorted(k for k in run_csvs if k[0] == alpha):
            path = run_csvs[(a, run)]
            m = pd.read_csv(path)
            missing = set(_METRICS) - set(m.columns)
            if missing or m.empty:
                raise ValueError(f"{path}: not an ImageNet metrics CSV (missing {sorted(missing)} or no rows)")
            last = m.iloc[-1]
            epochs.add(int(last["epoch"]))
            diverged += bool(m["diverged"].astype(bool).any())
            finals.append((100 * last["val_top1"], 100 * last["val_top5"]))
        top1, top5 = np.array(finals).T
        rows.append({"alpha": alpha, "runs": len(finals), "epochs": ",".join(map(str, sorted(epochs))),
                     "top1_mean": np.nanmean(top1) if np.isfinite(top1).any() else np.nan,
                     "top1_sd": np.std(top1, ddof=1) if len(top1) > 1 else np.nan,
                     "top5_mean": np.nanmean(top5) if np.isfinite(top5).any() else np.nan,
                     "top5_sd": np.std(top5, ddof=1) if len(top5) > 1 else np.nan,
                     "top1_runs": ";".join(f"{v:.2f}" for v in top1), "top5_runs": ";".join(f"{v:.2f}" for v in top5),
                     "diverged_runs": diverged})
    return pd.DataFrame(rows, columns=list(IMAGENET_COLUMNS))
