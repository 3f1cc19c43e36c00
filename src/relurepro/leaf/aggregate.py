"""The leaf CSVs that pass between jobs, with their declared schemas (relurepro.schemas): a run's stat.csv (one row
per epoch) and params.csv (learned-parameter statistics), and what rule leaf_collect makes of them, epochs.csv,
summary.csv (one row per run) and params.csv. A violation names the file and its lines.

Without torch or pandera at import time: the schemas are built when a table is checked."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from relurepro.leaf.grid import DATASET_COLUMNS, Run

KEYS = list(Run.__dataclass_fields__)
# Columns every per-run CSV carries after its own (scripts/leaf/train.py: the run and its recipe).
RECORD = [*KEYS[:2], "data", *KEYS[2:], "batch", "augment", "train_shuffle", "aaf_lr_scale", "device"]
STAT = ["epoch", "train_loss_mean", "train_loss_var", "test_acc", "lr", "duration", "diverged"]
PARAMS = ["layer", "param", "mean", "std", "min", "q05", "median", "q95", "max", "frac_abs_gt_0.1"]
SHAPES = ["row", "layer", "col", "position", "x", "learned", "base"]
SHAPE_POINTS, SHAPE_COLS = 140, 5  # relurepro.leaf.analysis.shape_samples: x in [-10, 4) step 0.1, 5 neurons a row
SUMMARY = [*KEYS, "data", "best_acc", "best_epoch", "it_time", "final_loss", "diverged"]
_PATH = re.compile(r"net~(?P<net>[^/]+)/ds~(?P<ds>[^/]+)/af~(?P<af>[^/]+)/type~(?P<type>[^/]+)/opt~(?P<opt>[^/]+)/"
                   r"dspt~(?P<dspt>\d)/p24sl~(?P<p24sl>\d)/seed~(?P<seed>-?\d+)/[^/]+\.csv$")


def run_of(path: str | Path) -> Run | None:
    """The run a self-describing per-run path names (relurepro.leaf.grid.RUN), None for another path."""
    m = _PATH.search(str(path))
    if m is None:
        return None
    return Run(m["net"], m["ds"], m["af"], m["type"], m["opt"], int(m["dspt"]), int(m["p24sl"]), int(m["seed"]))


def _record(pa) -> dict:
    return {
        "net": pa.Column(str, pa.Check.isin(["lenet5", "kerasnet"])),
        "ds": pa.Column(str, pa.Check.isin(list(DATASET_COLUMNS))), "data": pa.Column(str),
        "af": pa.Column(str, pa.Check.isin(["ReLU", "SiLU", "Tanh", "Sigmoid"])),
        "type": pa.Column(str, pa.Check.isin(["base", "ahaf", "leaf"])),
        "opt": pa.Column(str, pa.Check.isin(["adam", "rmsprop"])),
        "dspt": pa.Column(int, pa.Check.isin([0, 1])), "p24sl": pa.Column(int, pa.Check.isin([0, 1])),
        "seed": pa.Column(int), "batch": pa.Column(int, pa.Check.ge(1)), "augment": pa.Column(bool),
        "train_shuffle": pa.Column(bool), "aaf_lr_scale": pa.Column(float, pa.Check.gt(0), coerce=True),
        "device": pa.Column(str),
    }


def _stays_diverged(d: pd.DataFrame, run: list[str]):
    """True where a row's diverged flag is what its run's earlier epochs imply: once diverged, always diverged."""
    flag = d["diverged"].astype(int)
    return d.assign(flag=flag).sort_values("epoch").groupby(run)["flag"].cummax().reindex(d.index) == flag


def stat_schema(epochs: int | None = None):
    """A stat.csv (and epochs.csv, their concatenation): one row per (run, epoch), test_acc a fraction, NaN metrics
    exactly in the rows of a diverged run (diverged training is data)."""
    import pandera.pandas as pa

    nan_ok = {"coerce": True, "nullable": True}
    lrs = r"^\d[\d.e+-]*( \d[\d.e+-]*)*$"  # every group's learning rate, space-separated
    return pa.DataFrameSchema({
        "epoch": pa.Column(int, [pa.Check.ge(0)] + ([pa.Check.lt(epochs)] if epochs is not None else [])),
        "train_loss_mean": pa.Column(float, pa.Check.ge(0), **nan_ok),
        "train_loss_var": pa.Column(float, pa.Check.ge(0), **nan_ok),
        "test_acc": pa.Column(float, pa.Check.in_range(0, 1), **nan_ok),
        "lr": pa.Column(None, pa.Check(lambda s: s.isna() | s.astype(str).str.match(lrs), element_wise=False),
                        nullable=True),
        "duration": pa.Column(float, pa.Check.ge(0), **nan_ok), "diverged": pa.Column(bool), **_record(pa),
    }, strict=True, ordered=True, unique=[*KEYS, "epoch"], checks=[
        pa.Check(lambda d: d["diverged"] == d["train_loss_mean"].isna(), error="NaN loss exactly in diverged rows"),
        pa.Check(lambda d: d["diverged"] | d["test_acc"].notna(), error="a test accuracy in every finished epoch"),
        pa.Check(lambda d: _stays_diverged(d, KEYS), error="a run stays diverged from its first diverged epoch on"),
    ])


def params_schema():
    """A run's params.csv (and their concatenation): one row per (activation layer, parameter) of an adaptive
    activation; the shares and quantiles ordered."""
    import pandera.pandas as pa

    value = pa.Column(float, coerce=True)
    return pa.DataFrameSchema({
        "layer": pa.Column(str), "param": pa.Column(str, pa.Check.isin(["gamma", "beta", "p1", "p2", "p3", "p4"])),
        "mean": value, "std": pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True), "min": value,
        "q05": value, "median": value, "q95": value, "max": value,
        "frac_abs_gt_0.1": pa.Column(float, pa.Check.in_range(0, 1), coerce=True), **_record(pa),
    }, strict=True, ordered=True, unique=[*KEYS, "layer", "param"], checks=[
        pa.Check(lambda d: d["type"] != "base", error="a base activation learns no parameters"),
        pa.Check(lambda d: (d["min"] <= d["q05"]) & (d["q05"] <= d["median"]) & (d["median"] <= d["q95"])
                 & (d["q95"] <= d["max"]), error="min <= q05 <= median <= q95 <= max"),
    ])


def summary_schema():
    """summary.csv: one row per run; best_acc in percent (NaN and best_epoch -1 when every epoch diverged)."""
    import pandera.pandas as pa

    columns = {k: c for k, c in _record(pa).items() if k in SUMMARY}
    return pa.DataFrameSchema({
        **{k: columns[k] for k in [*KEYS, "data"]},
        "best_acc": pa.Column(float, pa.Check.in_range(0, 100), coerce=True, nullable=True),
        "best_epoch": pa.Column(int, pa.Check.ge(-1)),
        "it_time": pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True),
        "final_loss": pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True), "diverged": pa.Column(bool),
    }, strict=True, ordered=True, unique=KEYS, checks=[
        pa.Check(lambda d: d["best_acc"].isna() == (d["best_epoch"] == -1), error="best_epoch -1 exactly without "
                 "a finite accuracy"),
        pa.Check(lambda d: d["diverged"] | d["final_loss"].notna(), error="a final loss unless diverged"),
    ])


def shapes_schema():
    """A run's shapes.csv: SHAPE_COLS sampled neurons in each plotted row (an activation layer), each on the same
    SHAPE_POINTS inputs."""
    import pandera.pandas as pa

    return pa.DataFrameSchema({
        "row": pa.Column(int, pa.Check.ge(0)), "layer": pa.Column(str), "col": pa.Column(int, pa.Check.isin(
            range(SHAPE_COLS))), "position": pa.Column(int, pa.Check.ge(0)),
        "x": pa.Column(float, pa.Check.in_range(-10, 4), coerce=True),
        "learned": pa.Column(float, coerce=True, nullable=True),  # a diverged run may have learned NaN
        "base": pa.Column(float, coerce=True), **_record(pa),
    }, strict=True, ordered=True, checks=[
        pa.Check(lambda d: d["type"] != "base", error="a base activation has no learned shape"),
        pa.Check(lambda d: d.groupby(["row", "col"])["x"].transform("size") == SHAPE_POINTS,
                 error=f"{SHAPE_POINTS} points per sampled neuron"),
        pa.Check(lambda d: ~d.assign(x=d["x"].round(6)).duplicated(["row", "col", "x"], keep=False),
                 error="one point per (row, col, x)"),
    ])


def read_shapes(path: str | Path) -> pd.DataFrame:
    """A run's shapes.csv checked against `shapes_schema`: SHAPE_COLS neurons x SHAPE_POINTS points in each of the
    rows 0..n-1, of the run its path names."""
    from relurepro import schemas

    df = schemas.read(path, shapes_schema())
    rows = int(df["row"].max()) + 1
    if sorted(df["row"].unique()) != list(range(rows)) or len(df) != rows * SHAPE_COLS * SHAPE_POINTS:
        raise ValueError(f"{path}: {len(df)} rows, the job wrote {rows} x {SHAPE_COLS} neurons x {SHAPE_POINTS} "
                         "points (duplicated or missing rows?)")
    _matches_path(df, path)
    return df


def _matches_path(df: pd.DataFrame, path) -> None:
    run = run_of(path)
    if run is not None and not (df[KEYS] == pd.Series(run.__dict__)).all().all():
        raise ValueError(f"{path}: rows of another run than the path's {run}")


def read_stat(path: str | Path, epochs: int | None = None) -> pd.DataFrame:
    """A run's stat.csv checked against `stat_schema`; with `epochs`, exactly epochs 0..epochs-1 (a diverged run
    too: NaN rows), of the run its path names."""
    from relurepro import schemas

    df = schemas.read(path, stat_schema(epochs), rows=epochs)
    _matches_path(df, path)
    return df


def read_params(path: str | Path) -> pd.DataFrame:
    """A run's params.csv checked against `params_schema`: header only for a base activation (nothing learned),
    rows otherwise."""
    from relurepro import schemas

    run = run_of(path)
    if run is not None and run.type == "base":
        try:
            df = pd.read_csv(path)
        except pd.errors.EmptyDataError:
            raise ValueError(f"{path}: empty file") from None
        if list(df.columns) != [*PARAMS, *RECORD] or len(df):
            raise ValueError(f"{path}: a base run's params.csv has the header {[*PARAMS, *RECORD]} and no rows")
        return df
    df = schemas.read(path, params_schema())
    _matches_path(df, path)
    return df


def read_summary(path: str | Path) -> pd.DataFrame:
    """summary.csv as rule leaf_collect wrote it, checked against `summary_schema`."""
    from relurepro import schemas

    return schemas.read(path, summary_schema())


def read_epochs(path: str | Path) -> pd.DataFrame:
    """epochs.csv as rule leaf_collect wrote it, checked against `stat_schema`."""
    from relurepro import schemas

    return schemas.read(path, stat_schema())


def read_collected_params(path: str | Path) -> pd.DataFrame:
    """params.csv as rule leaf_collect wrote it, checked against `params_schema`: header only when no run learned
    a parameter (every activation a base one)."""
    from relurepro import schemas

    try:
        df = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: empty file") from None
    if df.empty and list(df.columns) == [*PARAMS, *RECORD]:
        return df
    return schemas.read(path, params_schema())


def collect(stat_paths: list, params_paths: list, epochs: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(epochs, summary, params) of rule leaf_collect from the runs' CSVs, each checked: epochs.csv has runs x
    epochs rows, summary.csv one row per run."""
    from relurepro import schemas
    from relurepro.leaf.analysis import summarize

    stats = [read_stat(p, epochs) for p in stat_paths]
    summary = pd.DataFrame([{**{k: s[k].iloc[0] for k in [*KEYS, "data"]}, **summarize(s)} for s in stats],
                           columns=SUMMARY)
    table = pd.concat(stats, ignore_index=True)
    params = [p for p in (read_params(path) for path in params_paths) if len(p)]
    params = pd.concat(params, ignore_index=True) if params else pd.DataFrame(columns=[*PARAMS, *RECORD])
    schemas.check(table, stat_schema(epochs), "epochs.csv", rows=len(stat_paths) * epochs)
    schemas.check(summary, summary_schema(), "summary.csv", rows=len(stat_paths))
    if len(params):
        schemas.check(params, params_schema(), "params.csv")
    return table, summary, params
