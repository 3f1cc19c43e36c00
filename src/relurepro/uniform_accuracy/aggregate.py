"""Aggregation (§2.7, §2.8): mean over seeds, max or average over teachers, min over algorithms, power fits.

An algorithm is (width, experiment, checkpoint): the minimum over algorithms picks the stopping time by the test
error (the original's oracle early stopping; `oracle_early_stopping=False` keeps only the last checkpoint).
Each metric and each of max/avg picks its own best algorithm; the argmin algorithm and argmax teacher are kept.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

METRICS = ("L1", "L2", "Linfinity")
P_NORM = {"L1": 1.0, "L2": 2.0, "Linfinity": np.inf}
RUN_KEYS = ["d", "exp", "m", "width", "teacher", "seed", "iteration"]

# The aggregated CSV, one row per (d, m, metric, reduction).
COLUMNS = {
    "d": "input dimension",
    "m": "training samples",
    "metric": "L1, L2 or Linfinity",
    "reduction": "max (worst teacher) or avg (mean over teachers)",
    "error": "min over algorithms of [max or avg over teachers of (mean over seeds)]",
    "algorithm": "the argmin algorithm: width, experiment and checkpoint",
    "width": "argmin student width",
    "exp": "argmin batch-size setting",
    "iteration": "argmin checkpoint",
    "teacher": "argmax teacher of the winning algorithm (max only)",
    "algorithms": "number of algorithms the minimum ran over",
    "teachers": "number of teachers",
    "seeds": "number of seeds averaged",
    "lower_bound": "the reference rate (1/m)^(1/p + 1/d), constant 1",
}


def algorithm_label(width, exp, iteration, depth: int = 5) -> str:
    return f"{depth}x{width}ReLU_{exp}_it{iteration}"


def seed_means(runs: pd.DataFrame, oracle_early_stopping: bool = True) -> pd.DataFrame:
    """Seed-averaged errors per (d, m, algorithm, teacher); duplicated rows (resumed runs) keep the last."""
    runs = runs.drop_duplicates(RUN_KEYS, keep="last")
    if not oracle_early_stopping:
        last = runs.groupby(["d", "exp", "m", "width"])["iteration"].transform("max")
        runs = runs[runs["iteration"] == last]
    keys = ["d", "m", "width", "exp", "iteration", "teacher"]
    means = runs.groupby(keys, as_index=False)[list(METRICS)].mean()
    means["seeds"] = runs.groupby(keys)["seed"].nunique().to_numpy()
    return means


def lower_bound(m, d: int, metric: str):
    return (1.0 / np.asarray(m, dtype=float)) ** (1.0 / P_NORM[metric] + 1.0 / d)


def aggregate(runs: pd.DataFrame, oracle_early_stopping: bool = True) -> pd.DataFrame:
    """The min-max and min-avg curves of every (d, m, metric) with argmins (COLUMNS)."""
    means = seed_means(runs, oracle_early_stopping)
    rows = []
    for (d, m), cell in means.groupby(["d", "m"]):
        algos = cell.groupby(["width", "exp", "iteration"])
        for metric in METRICS:
            for reduction in ("max", "avg"):
                per_algo = algos[metric].max() if reduction == "max" else algos[metric].mean()
                best = per_algo.idxmin()
                width, exp, iteration = best
                teacher = ""
                if reduction == "max":
                    winner = cell[(cell.width == width) & (cell.exp == exp) & (cell.iteration == iteration)]
                    teacher = winner.loc[winner[metric].idxmax(), "teacher"]
                rows.append({"d": d, "m": m, "metric": metric, "reduction": reduction, "error": per_algo.min(),
                             "algorithm": algorithm_label(width, exp, iteration), "width": width, "exp": exp,
                             "iteration": iteration, "teacher": teacher, "algorithms": len(per_algo),
                             "teachers": cell.teacher.nunique(), "seeds": int(cell.seeds.min()),
                             "lower_bound": float(lower_bound(m, d, metric))})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def validate(table: pd.DataFrame, path: str = "aggregated CSV", rows: int | None = None) -> None:
    """Fail, naming the file and its lines, on a table that does not follow COLUMNS (relurepro.schemas); `rows`:
    the (d, m) cells the scale asks for x metrics x reductions."""
    import pandera.pandas as pa  # here: pandera only when a table is checked

    from relurepro import schemas

    count = pa.Check.ge(1)
    schema = pa.DataFrameSchema({
        "d": pa.Column(int, count), "m": pa.Column(int, count), "metric": pa.Column(str, pa.Check.isin(METRICS)),
        "reduction": pa.Column(str, pa.Check.isin(["max", "avg"])),
        "error": pa.Column(float, pa.Check.ge(0), coerce=True), "algorithm": pa.Column(str),
        "width": pa.Column(int, count), "exp": pa.Column(str), "iteration": pa.Column(int, count),
        "teacher": pa.Column(str), "algorithms": pa.Column(int, count),
        "teachers": pa.Column(int, count), "seeds": pa.Column(int, count),
        "lower_bound": pa.Column(float, pa.Check.gt(0), coerce=True),
    }, strict=True, ordered=True, unique=["d", "m", "metric", "reduction"], checks=[
        # The argmax teacher belongs to the worst-teacher reduction only ('' or empty for the average).
        pa.Check(lambda t: (t["reduction"] == "max") == (t["teacher"] != ""),
                 error="a teacher exactly for reduction max"),
        pa.Check(lambda t: t["algorithm"] == [algorithm_label(w, e, i) for w, e, i in
                                              zip(t["width"], t["exp"], t["iteration"])],
                 error="algorithm = its width, experiment and checkpoint"),
    ])
    if "teacher" in table.columns:  # '' in memory, empty (NaN) when read back; numbers when read without dtype
        table = table.assign(teacher=table["teacher"].fillna("").astype(str))
    schemas.check(table, schema, path, rows=rows)


def read_table(path: str | Path) -> pd.DataFrame:
    """aggregated.csv as rule ua_aggregate wrote it, checked (`validate`); the teacher column as text."""
    from relurepro import schemas

    return schemas.read_checked(path, validate, dtype={"teacher": str})


def power_fit(m, error) -> tuple[float, float]:
    """Least squares of log(error) on log(m): (C, slope) of error ~ C m^slope."""
    slope, intercept = np.polyfit(np.log(np.asarray(m, float)), np.log(np.asarray(error, float)), 1)
    return float(np.exp(intercept)), float(slope)


def curves(table: pd.DataFrame, d: int) -> dict[tuple[str, str], pd.DataFrame]:
    """(metric, reduction) -> the curve of d sorted by m."""
    sub = table[table.d == d]
    return {(metric, red): g.sort_values("m") for (metric, red), g in sub.groupby(["metric", "reduction"])}


def summary_table(means: pd.DataFrame, d: int, m: int, metric: str) -> pd.DataFrame:
    """The notebook's summary: algorithms x teachers of seed-averaged errors, with `target_fns_max` (max over
    teachers) and a `configs_min` row (min over algorithms)."""
    cell = means[(means.d == d) & (means.m == m)].copy()
    cell["algorithm"] = [algorithm_label(w, e, i) for w, e, i in zip(cell.width, cell.exp, cell.iteration)]
    pivot = cell.pivot_table(index="algorithm", columns="teacher", values=metric, aggfunc="first")
    pivot.columns = [str(c) for c in pivot.columns]
    pivot["target_fns_max"] = pivot.max(axis=1)
    pivot.loc["configs_min"] = pivot.min(axis=0)
    return pivot
