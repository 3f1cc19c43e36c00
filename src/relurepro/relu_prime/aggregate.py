"""relu_prime training results: the job CSVs' columns and schema, their aggregation per experiment and the
last-epoch table the claims read. Without torch."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from relurepro.relu_prime.grid import GRAD_MODES, INITS, OPTIMIZERS, PREPS, JobSpec

# One row per (run, epoch) in a job's metrics.csv, before the experiment name is added.
METRICS = ("epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr", "exact_zeros",
           "relu_inputs", "diverged", "seconds")

# The aggregated CSV results/relu_prime/train_<experiment>.csv: the original's training schema (§3) first,
# then what the original did not record.
COLUMNS = {
    "run_id": "run number within its cell = the seed of init, data order, augmentation and dropout",
    "epoch": "epochs completed, 1..epochs (the original's 0-based epoch e is e+1 here)",
    "train_loss": "mean of the epoch's batch losses (CrossEntropy, mean over the batch); NaN once diverged",
    "train_accuracy": "fraction of training samples classified correctly during the epoch",
    "test_loss": "mean test loss after the epoch (eval mode)",
    "test_accuracy": "fraction of test samples correct after the epoch (eval mode)",
    "relu": "alpha = ReLU'(0)",
    "batch_norm": "True/False: BatchNorm before every ReLU",
    "lr": "learning rate used during the epoch (cosine schedule stepped once per epoch)",
    "exact_zeros": "exact-zero ReLU inputs counted in the epoch's training forward passes (after grid rounding)",
    "relu_inputs": "ReLU input entries seen in the epoch's training forward passes",
    "diverged": "True from the epoch whose loss was non-finite on (training stopped; metrics NaN)",
    "tier": "'faithful' (float32) or 'stress k=<k>' (pre-activations rounded to 2^-k, straight-through)",
    "preact_grid_k": "k of the stress tier; empty (NaN) in the faithful tier",
    "relu_grad_mode": "set (gradient := alpha at exact zeros, the original) or chain (alpha x upstream)",
    "dropout": "dropout probability after each ReLU (MNIST MLP; 0 elsewhere)",
    "experiment": "experiment name (config key)",
    "net": "vgg11, resnet18 or mlp<width>x<layers>",
    "width_mult": "channel multiplier of the CNNs (1 = paper)",
    "init": "default (PyTorch's, as the original) or kaiming (Kaiming-normal conv weights; CPU-scale deviation)",
    "dataset": "dataset-train_split-train_samples-test_split-test_samples",
    "preprocessing": "§2.3 transform set applied: cifar10, svhn or mnist",
    "optimizer": "sgd (momentum 0.9, weight decay 5e-4) or adam (PyTorch defaults)",
    "lr0": "initial learning rate",
    "t_max": "cosine period in epochs",
    "batch_size": "training batch size",
    "epochs": "epochs asked for",
    "seconds": "wall-clock seconds of the epoch",
    "device": "where the run trained",
    "torch": "torch version",
}


def job_frame(spec: JobSpec, runs: dict[tuple, list[dict]], device: str, torch_version: str) -> pd.DataFrame:
    """A job's metrics.csv: the training rows (METRICS) of each run keyed (bn, alpha, dropout, seed), plus
    the job's settings (every column of COLUMNS but `experiment`)."""
    frames = []
    for (bn, alpha, dropout, seed), rows in runs.items():
        df = pd.DataFrame(rows, columns=list(METRICS))
        df.insert(0, "run_id", seed)
        df["relu"], df["batch_norm"], df["dropout"] = alpha, bn, dropout
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    df["tier"] = spec.tier
    df["preact_grid_k"] = math.nan if spec.grid is None else spec.grid
    df["relu_grad_mode"] = spec.mode
    df["net"] = spec.net
    df["width_mult"] = spec.width
    df["init"] = spec.init
    df["dataset"] = spec.data
    df["preprocessing"] = spec.prep
    df["optimizer"] = spec.opt
    df["lr0"] = spec.lr
    df["t_max"] = spec.tmax
    df["batch_size"] = spec.batch
    df["epochs"] = spec.epochs
    df["device"] = device
    df["torch"] = torch_version
    return df[[c for c in COLUMNS if c != "experiment"]]


def job_rows(path: str | Path) -> int:
    """Rows a job CSV must hold: one per run and epoch of the job its path names."""
    spec = JobSpec.from_path(str(path))
    return len(spec.runs()) * spec.epochs


def aggregate(experiment: str, job_csvs: list[str | Path]) -> pd.DataFrame:
    """The experiment's aggregated table from its job CSVs; a malformed job CSV fails naming its path."""
    frames = []
    for path in job_csvs:
        try:
            df = pd.read_csv(path)
        except pd.errors.EmptyDataError:
            raise ValueError(f"{path}: empty file") from None
        # The job CSV has every column but `experiment`: insert it where COLUMNS has it.
        df.insert(min(list(COLUMNS).index("experiment"), len(df.columns)), "experiment", experiment)
        validate(df, str(path), job_csv=JobSpec.from_path(str(path)))
        frames.append(df)
    if not frames:
        raise ValueError(f"experiment {experiment}: no job CSVs to aggregate")
    df = pd.concat(frames, ignore_index=True)[list(COLUMNS)]
    validate(df, f"train_{experiment}.csv", rows=sum(job_rows(p) for p in job_csvs))
    return df.sort_values(["tier", "batch_norm", "dropout", "relu", "run_id", "epoch"], kind="stable",
                          ignore_index=True)


def schema():
    """The declared schema of a job CSV (plus `experiment`) and of train_<experiment>.csv (relurepro.schemas):
    COLUMNS in order, one row per (run, epoch), accuracies as fractions, and diverged rows (NaN metrics from the
    first non-finite loss on; diverged training is data) allowed."""
    import pandera.pandas as pa  # here: the workflow imports this module to plan, without pandera

    def num(*checks, nullable=False):
        return pa.Column(float, list(checks), coerce=True, nullable=nullable)

    nan_ok = {"nullable": True}  # NaN in the rows of a diverged run
    columns = {
        "run_id": pa.Column(int, pa.Check.ge(0)), "epoch": pa.Column(int, pa.Check.ge(1)),
        "train_loss": num(pa.Check.ge(0), **nan_ok), "train_accuracy": num(pa.Check.in_range(0, 1), **nan_ok),
        "test_loss": num(pa.Check.ge(0), **nan_ok), "test_accuracy": num(pa.Check.in_range(0, 1), **nan_ok),
        "relu": num(), "batch_norm": pa.Column(bool), "lr": num(pa.Check.ge(0), **nan_ok),
        "exact_zeros": num(pa.Check.ge(0), **nan_ok), "relu_inputs": num(pa.Check.ge(0), **nan_ok),
        "diverged": pa.Column(bool),
        "tier": pa.Column(str, pa.Check.str_matches(r"^(faithful|stress k=\d+)$")),
        "preact_grid_k": num(pa.Check.ge(0), **nan_ok),
        "relu_grad_mode": pa.Column(str, pa.Check.isin(GRAD_MODES)), "dropout": num(pa.Check.in_range(0, 1)),
        "experiment": pa.Column(str), "net": pa.Column(str, pa.Check.str_matches(r"^(vgg11|resnet18|mlp\d+x\d+)$")),
        "width_mult": num(pa.Check.gt(0)), "init": pa.Column(str, pa.Check.isin(INITS)), "dataset": pa.Column(str),
        "preprocessing": pa.Column(str, pa.Check.isin(PREPS)), "optimizer": pa.Column(str, pa.Check.isin(OPTIMIZERS)),
        "lr0": num(pa.Check.gt(0)), "t_max": pa.Column(int, pa.Check.ge(1)),
        "batch_size": pa.Column(int, pa.Check.ge(1)),
        "epochs": pa.Column(int, pa.Check.ge(1)), "seconds": num(pa.Check.ge(0), **nan_ok),
        "device": pa.Column(str), "torch": pa.Column(str),
    }
    run = ["experiment", "tier", "batch_norm", "relu", "dropout", "run_id"]
    return pa.DataFrameSchema(columns, strict=True, ordered=True, unique=[*run, "epoch"], checks=[
        pa.Check(lambda d: d["epoch"] <= d["epochs"], error="epoch in 1..epochs"),
        pa.Check(lambda d: d["diverged"] | (d["train_loss"].notna() & d["test_accuracy"].notna()),
                 error="NaN metrics only in rows marked diverged"),
        pa.Check(lambda d: ~d["diverged"] | d["train_loss"].isna(), error="a diverged row has no training loss"),
        pa.Check(lambda d: (d["tier"] == "faithful") == d["preact_grid_k"].isna(),
                 error="preact_grid_k is empty exactly in the faithful tier"),
        # Once diverged, a run stays diverged: the flag never drops back to False in a later epoch.
        pa.Check(lambda d: d.sort_values("epoch").assign(div=d["diverged"].astype(int)).groupby(run)["div"].cummax()
                 .reindex(d.index) == d["diverged"].astype(int),
                 error="a run stays diverged from its first diverged epoch on"),
    ])


def validate(df: pd.DataFrame, path: str, job_csv: JobSpec | None = None, rows: int | None = None) -> None:
    """Fail, naming `path` and its lines, when a table does not follow `schema` (relurepro.schemas); a job CSV
    must hold exactly the runs and epochs its path names, and `rows` is the row count the jobs promised."""
    from relurepro import schemas

    if job_csv is not None:
        rows = len(job_csv.runs()) * job_csv.epochs
    df = schemas.check(df, schema(), path, rows=rows)
    # Every run has exactly one row per epoch 1..epochs (diverged runs too: NaN rows); duplicates failed above.
    for (exp, tier, bn, relu, p, run), g in df.groupby(["experiment", "tier", "batch_norm", "relu", "dropout",
                                                         "run_id"]):
        if sorted(g["epoch"]) != list(range(1, int(g["epochs"].iloc[0]) + 1)):
            raise ValueError(f"{path}: run {run} ({tier}, bn={bn}, relu={relu}, dropout={p}) does not have one "
                             f"row per epoch 1..{int(g['epochs'].iloc[0])}")
    if job_csv is not None:
        expect = {"epochs": job_csv.epochs, "lr0": job_csv.lr, "tier": job_csv.tier, "batch_size": job_csv.batch,
                  "t_max": job_csv.tmax, "relu_grad_mode": job_csv.mode}
        for c, v in expect.items():
            if not (df[c] == v).all():
                raise ValueError(f"{path}: column {c} disagrees with the path ({v!r})")
        found = set(zip(df["batch_norm"], df["relu"], df["dropout"], df["run_id"]))
        if found != set(job_csv.runs()):
            raise ValueError(f"{path}: runs (batch_norm, relu, dropout, run_id) {sorted(found)} differ from the "
                             f"path's {sorted(job_csv.runs())}")


def read_table(path: str | Path) -> pd.DataFrame:
    """An aggregated train_<experiment>.csv as rules rp_train_figures__<experiment> write it, checked (`validate`)."""
    from relurepro import schemas

    return schemas.read_checked(path, lambda df, p: validate(df, str(p)))


# ---------------------------------------------------------------------------------------- claims

def last_epoch(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of each run's last epoch (epoch == epochs asked for)."""
    return df[df["epoch"] == df["epochs"]]


def last_epoch_accuracy(table: str | Path | pd.DataFrame, diverged_as: float | None = None) -> pd.DataFrame:
    """Last-epoch test accuracy per (experiment, tier, batch_norm, relu, dropout), for the claims table.

    Columns: experiment, tier, batch_norm, relu, dropout, runs, diverged_runs, test_accuracy (mean over the
    runs that finished; NaN if all diverged), test_accuracy_sd, exact_zeros (summed over all epochs and runs).
    `diverged_as` (e.g. 0.1, chance) counts diverged runs at that accuracy in the mean instead of leaving them
    out.
    """
    df = read_table(table) if not isinstance(table, pd.DataFrame) else table
    df = df.assign(batch_norm=df["batch_norm"].astype(str) == "True", diverged=df["diverged"].astype(str) == "True")
    keys = ["experiment", "tier", "batch_norm", "relu", "dropout"]
    zeros = df.groupby(keys)["exact_zeros"].sum(min_count=1).rename("exact_zeros")
    last = last_epoch(df).copy()
    if diverged_as is not None:
        last.loc[last["diverged"], "test_accuracy"] = float(diverged_as)
    out = last.groupby(keys).agg(runs=("run_id", "nunique"), diverged_runs=("diverged", "sum"),
                                 test_accuracy=("test_accuracy", "mean"), test_accuracy_sd=("test_accuracy", "std"))
    return out.join(zeros).reset_index()
