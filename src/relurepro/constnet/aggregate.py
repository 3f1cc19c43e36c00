"""The constnet CSVs that pass between jobs, with their declared schemas (relurepro.schemas): a run's metrics.csv
(one row per epoch 0..E, epoch 0 the state at initialisation) and correlations.csv (one row per epoch, layer and
correlation kind), and what rule cn_collect makes of them. A violation names the file and its lines.

A run records its arm and numerics settings as arm_* and numerics_* columns, which differ between arms (the
collected table holds their union, empty where an arm has none): the schema is built for the columns a table has,
in the order the training script writes them.

Without torch or pandera at import time: the schemas are built when a table is checked."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

EPOCH = ["epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc", "symmetry_deviation",
         "distinct_channels", "diversity", "seconds"]
RUN = ["kind", "name", "seed", "data"]
CORRELATIONS = ["epoch", "layer", "kind_corr", "c", "neg_log_abs_c", "kind", "name", "seed"]
KINDS = ("constnet", "leakynet")
CORRELATION_KINDS = ("correlations", "forward", "backward")  # relurepro.constnet.correlations.KINDS
BREAKERS = ("det", "gpu", "ulp", "reorder", "dropout", "random")  # relurepro.constnet.symmetry.BREAKERS
_PATH = re.compile(r"(?P<kind>constnet|leakynet)/(?P<name>[^/]+)/seed~(?P<seed>\d+)/[a-z]+\.csv$")


def _tail(pa, columns: list[str], nullable: bool) -> dict:
    """The columns after RUN, in the table's order: arm_* and numerics_* (the arms' known settings typed, the
    numerics free-form) and device (concatenating runs with other settings puts those after it). Anything else is
    left out, so that the column check names it."""
    known = {"device": pa.Column(str), "arm_init": pa.Column(str, nullable=nullable),
             "arm_breaker": pa.Column(str, pa.Check.isin(BREAKERS), nullable=nullable),
             "arm_droprate": pa.Column(float, pa.Check.in_range(0, 1, include_max=False), coerce=True,
                                       nullable=nullable),
             "arm_chunks": pa.Column(float, pa.Check.ge(1), coerce=True, nullable=nullable)}
    tail = [c for c in columns[len(EPOCH) + len(RUN):] if c.startswith(("arm_", "numerics_")) or c in known]
    tail += [] if "device" in tail else ["device"]  # required: its absence fails the column check
    return {c: known.get(c, pa.Column(None, nullable=True)) for c in tail}


def metrics_schema(columns: list[str], epochs: int | None = None, collected: bool = False):
    """A run's metrics.csv (`collected`: results/constnet/metrics.csv, every run's rows): EPOCH, RUN, the run's
    arm_*/numerics_* columns, device; one row per (run, epoch); accuracies fractions; train_loss empty at epoch 0
    (NaN too where training diverged: that is data)."""
    import pandera.pandas as pa  # here: pandera only when a table is checked

    share = pa.Check.in_range(0, 1)
    epoch = [pa.Check.ge(0)] + ([pa.Check.le(epochs)] if epochs is not None else [])
    return pa.DataFrameSchema({
        "epoch": pa.Column(int, epoch), "lr": pa.Column(float, pa.Check.gt(0), coerce=True),
        "train_loss": pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True),
        "train_acc": pa.Column(float, share, coerce=True, nullable=True),
        "test_loss": pa.Column(float, coerce=True, nullable=True), "test_acc": pa.Column(float, share, coerce=True),
        "symmetry_deviation": pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True),
        "distinct_channels": pa.Column(int, pa.Check.ge(-1)),  # -1: a net without a feature probe
        "diversity": pa.Column(float, coerce=True, nullable=True), "seconds": pa.Column(float, pa.Check.ge(0),
                                                                                        coerce=True),
        "kind": pa.Column(str, pa.Check.isin(KINDS)), "name": pa.Column(str), "seed": pa.Column(int),
        "data": pa.Column(str), **_tail(pa, columns, nullable=collected),
    }, strict=True, ordered=True, unique=["kind", "name", "seed", "epoch"], checks=[
        pa.Check(lambda d: (d["epoch"] > 0) | (d["train_loss"].isna() & (d["seconds"] == 0)),
                 error="epoch 0 is the state at initialisation: no training loss, no time"),
    ])


def _same_layers(d: pd.DataFrame) -> pd.Series:
    """True where a row's epoch measures every (layer, kind_corr) its run measures (rows are unique)."""
    run = ["kind", "name", "seed"]
    per_epoch = d.groupby([*run, "epoch"])["layer"].transform("size")
    return per_epoch == d.assign(pair=d["layer"] + "/" + d["kind_corr"]).groupby(run)["pair"].transform("nunique")


def correlations_schema(epochs: int | None = None):
    """A run's correlations.csv (and their concatenation): one row per (run, epoch, layer, kind_corr); c a
    correlation (NaN where a layer's rows are constant), -ln|c| >= 0 (inf at c = 0)."""
    import pandera.pandas as pa

    epoch = [pa.Check.ge(0)] + ([pa.Check.le(epochs)] if epochs is not None else [])
    return pa.DataFrameSchema({
        "epoch": pa.Column(int, epoch), "layer": pa.Column(str),
        "kind_corr": pa.Column(str, pa.Check.isin(CORRELATION_KINDS)),
        "c": pa.Column(float, pa.Check.in_range(-1 - 1e-9, 1 + 1e-9), coerce=True, nullable=True),
        "neg_log_abs_c": pa.Column(float, pa.Check.ge(-1e-9), coerce=True, nullable=True),
        "kind": pa.Column(str, pa.Check.isin(KINDS)), "name": pa.Column(str), "seed": pa.Column(int),
    }, strict=True, ordered=True, unique=["kind", "name", "seed", "epoch", "layer", "kind_corr"], checks=[
        pa.Check(_same_layers, error="the same layers and kinds at every epoch"),
    ])


def _read(path):
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: empty file") from None


def _matches_path(df: pd.DataFrame, path) -> None:
    m = _PATH.search(str(path))
    if m is not None:
        want = {"kind": m["kind"], "name": m["name"], "seed": int(m["seed"])}
        if not (df[list(want)] == pd.Series(want)).all().all():
            raise ValueError(f"{path}: rows of another run than the path's {want}")


def read_metrics(path: str | Path, epochs: int | None = None) -> pd.DataFrame:
    """A run's metrics.csv checked against `metrics_schema`; with `epochs`, exactly epochs 0..epochs, of the run
    its path names."""
    from relurepro import schemas

    df = _read(path)
    schemas.check(df, metrics_schema(list(df.columns), epochs), path, rows=None if epochs is None else epochs + 1)
    _matches_path(df, path)
    return df


def read_correlations(path: str | Path, epochs: int | None = None) -> pd.DataFrame:
    """A run's correlations.csv checked against `correlations_schema`; with `epochs`, every epoch 0..epochs."""
    from relurepro import schemas

    df = schemas.read(path, correlations_schema(epochs))
    if epochs is not None and sorted(df["epoch"].unique()) != list(range(epochs + 1)):
        raise ValueError(f"{path}: epochs {sorted(df['epoch'].unique())}, the job measured 0..{epochs}")
    _matches_path(df, path)
    return df


def read_collected_metrics(path: str | Path) -> pd.DataFrame:
    """metrics.csv as rule cn_collect wrote it (every run's), checked against `metrics_schema`; the collected
    correlations.csv reads with `read_correlations`."""
    from relurepro import schemas

    df = _read(path)
    schemas.check(df, metrics_schema(list(df.columns), collected=True), path)
    return df


def collect(metrics_paths: list, correlations_paths: list, epochs: dict[str, int]) -> tuple[pd.DataFrame,
                                                                                            pd.DataFrame]:
    """rule cn_collect: every run's metrics and correlations, each file checked; `epochs`: kind -> epochs of its
    schedule (the kind is in the path)."""
    from relurepro import schemas

    def epochs_of(path):
        m = _PATH.search(str(path))
        return epochs[m["kind"]] if m is not None else None

    metrics = pd.concat([read_metrics(p, epochs_of(p)) for p in metrics_paths], ignore_index=True)
    correlations = pd.concat([read_correlations(p, epochs_of(p)) for p in correlations_paths], ignore_index=True)
    promised = [epochs_of(p) for p in metrics_paths]
    rows = None if None in promised else sum(e + 1 for e in promised)
    schemas.check(metrics, metrics_schema(list(metrics.columns), collected=True), "metrics.csv", rows=rows)
    schemas.check(correlations, correlations_schema(), "correlations.csv")
    return metrics, correlations


# --- the reconstructed figures' CSVs (rules cn_toy, cn_sigprop): one job each, read by a figure and the claims ---

def check_toy(df: pd.DataFrame, path, cfg: dict | None = None) -> pd.DataFrame:
    """toy_unique_features.csv (relurepro.constnet.toy.COLUMNS): one row per (k, noise, seed), accuracies
    fractions, k dividing the width; with the scale's `toy` block, exactly its seeds x ks x noise levels."""
    import pandera.pandas as pa

    from relurepro import schemas

    share, count = pa.Check.in_range(0, 1), pa.Check.ge(1)
    schema = pa.DataFrameSchema({
        "data": pa.Column(str), "width": pa.Column(int, count), "k": pa.Column(int, count),
        "noise": pa.Column(float, pa.Check.ge(0), coerce=True), "seed": pa.Column(int),
        "epochs": pa.Column(int, count), "n_test": pa.Column(int, count),
        "train_acc": pa.Column(float, share, coerce=True), "test_acc": pa.Column(float, share, coerce=True),
        "distinct_init": pa.Column(int, count), "distinct_final": pa.Column(int, count),
    }, strict=True, ordered=True, unique=["k", "noise", "seed"], checks=[
        pa.Check(lambda d: d["width"] % d["k"] == 0, error="k divides the width"),
        pa.Check(lambda d: (d["distinct_init"] <= d["width"]) & (d["distinct_final"] <= d["width"]),
                 error="at most width distinct features"),
    ])
    rows = None if cfg is None else len(cfg["seeds"]) * len(cfg["ks"]) * len(cfg["noise"])
    return schemas.check(df, schema, path, rows=rows)


def check_sigprop(df: pd.DataFrame, path, cfg: dict | None = None) -> pd.DataFrame:
    """sigprop.csv (relurepro.constnet.sigprop.COLUMNS): one row per (init, depth, seed, layer), layers 0..depth of
    every network (0 = the stem output), mean squares non-negative; with the scale's `sigprop` block, exactly its
    inits x depths x seeds."""
    import pandera.pandas as pa

    from relurepro import schemas

    inits = ["constnet", "leakynet", "he", "fixup", "delta_orthogonal"]  # relurepro.constnet.sigprop.INITS
    net = ["init", "depth", "seed"]
    schema = pa.DataFrameSchema({
        "init": pa.Column(str, pa.Check.isin(inits)), "depth": pa.Column(int, pa.Check.ge(1)),
        "seed": pa.Column(int, pa.Check.ge(0)), "layer": pa.Column(int, pa.Check.ge(0)),
        "width": pa.Column(int, pa.Check.ge(1)), "batch": pa.Column(int, pa.Check.ge(1)),
        "act_var": pa.Column(float, pa.Check.ge(0), coerce=True),
        "grad_var": pa.Column(float, pa.Check.ge(0), coerce=True),
        "distinct_channels": pa.Column(int, pa.Check.ge(1)),
    }, strict=True, ordered=True, unique=[*net, "layer"], checks=[
        pa.Check(lambda d: (d["layer"] <= d["depth"]) & (d.groupby(net)["layer"].transform("size") == d["depth"] + 1),
                 error="layers 0..depth of every network"),
        pa.Check(lambda d: d["distinct_channels"] <= d["width"], error="at most width distinct channels"),
    ])
    rows = None if cfg is None else len(inits) * cfg["seeds"] * sum(d + 1 for d in cfg["depths"])
    return schemas.check(df, schema, path, rows=rows)


def read_toy(path, cfg: dict | None = None) -> pd.DataFrame:
    df = _read(path)
    check_toy(df, path, cfg)
    return df


def read_sigprop(path, cfg: dict | None = None) -> pd.DataFrame:
    df = _read(path)
    check_sigprop(df, path, cfg)
    return df
