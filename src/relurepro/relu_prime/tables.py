"""Tables of relu_prime: the original's tuned learning rates (best_lr, §3.30) and the ImageNet ResNet50
summary (imagenet_resnet50, §3.29).

Pandas only (no torch), so the figure notebooks' environment can import it.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

# config/reference/relu_prime_best_lr.csv: the learning rates stored in the original code's best_lr.csv files
# (later protocol P3, Optuna on 1 epoch; §4.5). Values as stored there, not regenerated here.
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
# A run's metrics.csv (scripts/relu_prime/imagenet_train.py): relurepro.imagenet.COLUMNS (one row per epoch), then
# the run and its configuration (kept here, as the notebooks' environment has no torch; a test compares them).
IMAGENET_RUN_COLUMNS = ["epoch", "lr", "train_loss", "train_top1", "val_loss", "val_top1", "val_top5", "exact_zeros",
                        "relu_inputs", "diverged", "seconds", "alpha", "run", "seed", "relu_grad_mode", "device",
                        "cfg_epochs", "cfg_batch_size", "cfg_lr", "cfg_momentum", "cfg_weight_decay", "cfg_lr_step",
                        "cfg_lr_gamma", "cfg_crop", "cfg_resize", "cfg_workers", "cfg_max_batches"]
# results/relu_prime/imagenet_resnet50/alpha~A/run~R/metrics.csv (workflow/relu_prime_appendix.smk IMAGENET_RUN)
_IMAGENET_PATH = re.compile(r"alpha~(?P<alpha>-?\d+(\.\d+)?)/run~(?P<run>\d+)/metrics\.csv$")


def read_imagenet_run(path: str | Path, epochs: int | None = None) -> pd.DataFrame:
    """An ImageNet run's metrics.csv checked against `relurepro.imagenet_runs.run_schema` (a violation names the file and its
    lines); a self-describing path (.../alpha~A/run~R/metrics.csv) also fixes its alpha and run."""
    from relurepro import schemas

    from relurepro.imagenet_runs import run_schema

    df = schemas.read(path, run_schema(epochs), rows=epochs)
    m = _IMAGENET_PATH.search(str(path))
    if m is not None and not ((df["alpha"] == float(m["alpha"])) & (df["run"] == int(m["run"]))).all():
        raise ValueError(f"{path}: rows of another run than the path's alpha {m['alpha']}, run {m['run']}")
    return df


def imagenet_summary(run_csvs: dict[tuple[float, int], str | Path]) -> pd.DataFrame:
    """Final top-1/top-5 per alpha from per-run metrics CSVs keyed by (alpha, run), each checked
    (`read_imagenet_run`), the table too (`validate_imagenet`)."""
    rows = []
    for alpha in sorted({a for a, _ in run_csvs}):
        finals, diverged, epochs = [], 0, set()
        for (a, run) in sorted(k for k in run_csvs if k[0] == alpha):
            path = run_csvs[(a, run)]
            m = read_imagenet_run(path)
            if (m["alpha"].iloc[0], m["run"].iloc[0]) != (a, run):
                raise ValueError(f"{path}: rows of alpha {m['alpha'].iloc[0]}, run {m['run'].iloc[0]}, listed as "
                                 f"alpha {a}, run {run}")
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
    table = pd.DataFrame(rows, columns=list(IMAGENET_COLUMNS))
    validate_imagenet(table, "imagenet_resnet50.csv", runs=len(run_csvs))
    return table


def imagenet_schema():
    """imagenet_resnet50.csv (IMAGENET_COLUMNS): one row per alpha; per-run values ';'-separated, their count the
    row's runs; NaN means and deviations only where no run finished or one ran."""
    import pandera.pandas as pa

    nan_ok = {"coerce": True, "nullable": True}
    percent = pa.Column(float, pa.Check.in_range(0, 100), **nan_ok)
    spread = pa.Column(float, pa.Check.ge(0), **nan_ok)
    per_run = pa.Column(str, pa.Check.str_matches(r"^[^;]+(;[^;]+)*$"))

    def counted(d, column):
        return d[column].astype(str).str.count(";") + 1 == d["runs"]

    return pa.DataFrameSchema({
        "alpha": pa.Column(float, coerce=True), "runs": pa.Column(int, pa.Check.ge(1)),
        "epochs": pa.Column(str, pa.Check.str_matches(r"^\d+(,\d+)*$")), "top1_mean": percent, "top1_sd": spread,
        "top5_mean": percent, "top5_sd": spread, "top1_runs": per_run, "top5_runs": per_run,
        "diverged_runs": pa.Column(int, pa.Check.ge(0)),
    }, strict=True, ordered=True, unique=["alpha"], checks=[
        pa.Check(lambda d: counted(d, "top1_runs") & counted(d, "top5_runs"), error="one per-run value per run"),
        pa.Check(lambda d: d["diverged_runs"] <= d["runs"], error="diverged_runs <= runs"),
        pa.Check(lambda d: d["top1_sd"].isna() | (d["runs"] > 1), error="a deviation only over two runs or more"),
        pa.Check(lambda d: d["top1_mean"].isna() | d["top5_mean"].isna() | (d["top1_mean"] <= d["top5_mean"]),
                 error="top1_mean <= top5_mean"),
    ])


def validate_imagenet(table: pd.DataFrame, path: str | Path = "imagenet_resnet50.csv",
                      runs: int | None = None) -> None:
    """Fail, naming `path` and its lines, when the ImageNet table does not follow `imagenet_schema`; with `runs`,
    the rows' runs add up to it."""
    from relurepro import schemas

    schemas.check(table, imagenet_schema(), path)
    if runs is not None and table["runs"].sum() != runs:
        raise ValueError(f"{path}: {table['runs'].sum()} runs in its rows, the job read {runs}")


def read_imagenet(path: str | Path) -> pd.DataFrame:
    """imagenet_resnet50.csv as written by rule rp_imagenet_table, checked (`validate_imagenet`)."""
    try:  # the per-run lists as text: one run's value would otherwise read as a number
        table = pd.read_csv(path, dtype={"top1_runs": str, "top5_runs": str, "epochs": str})
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: empty file") from None
    validate_imagenet(table, path)
    return table
