"""The CSVs of relu_prime's introduction experiments and their declared schemas (relurepro.schemas): a weight
difference trace (relu_prime §3.1/§3.2, ReLU6 §3.4; scripts/relu_prime/intro_trace.py) and the bifurcation-zone grid
(relu_prime §3.3; scripts/relu_prime/intro_bifurcation_zone.py). A violation names the file and its lines.

Pandas only (no torch), so the figure notebooks read their CSVs through it; pandera is imported when a table is
checked."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

COLUMNS = ["iteration", "epoch", "batch", "difference12", "difference23", "active1", "zeros1", "zeros2", "bits"]
# ReLU6 traces also follow the kink at 6: min |z - 6| in layer 1 and exact 6s in layers 1 and 2.
RELU6_COLUMNS = COLUMNS + ["active1_6", "sixes1", "sixes2"]
# What scripts/relu_prime/intro_trace.py records after the trace: the set-up and the thread count.
TRACE_RECORD = ["activation", "lr", "numpy_seed", "torch_seed", "hidden", "threads"]

ZONE_COLUMNS = {
    "bits": "precision of the grid evaluation: 32, or 64 (weights, directions and inputs cast to float64)",
    "ix": "grid column, 0..points-1 (x direction, P1)",
    "iy": "grid row, 0..points-1 (y direction, P2)",
    "x": "step along P1: (k / (points/2)) * half_width, k = -points/2 .. points/2 - 1",
    "y": "step along P2, same values",
    "z": "|pre-activation (sample, neuron)| with first-layer weights W + x P1 + y P2, computed by the forward "
         "pass's own GEMM (same shape, so the same rounding as in training)",
    "z_dot": "the same quantity from one matrix-vector product (a different summation order; diagnostic)",
    "iteration": "the training iteration whose weights W are the centre (the first with an exact zero)",
    "exact_zero": "True if that iteration's minimal |pre-activation| is exactly 0 (else the smallest one seen)",
    "sample": "sample index within that iteration's batch",
    "neuron": "first-layer unit",
    "zeros_in_batch": "exact zeros among that iteration's first-layer pre-activations",
    "direction_seed": "torch seed of the two directions (uniform [0, 1), unit Frobenius norm)",
    "torch_seed": "torch seed of the initial weights",
    "numpy_seed": "NumPy seed of the learning rate",
}
# .../bits~B/iterations~N/trace.csv (workflow/relu_prime_intro*.smk INTRO_TRACE, RELU6_TRACE)
_TRACE_PATH = re.compile(r"bits~(?P<bits>\d+)/iterations~(?P<iterations>\d+)/trace\.csv$")


def trace_schema(activation: str = "relu"):
    """A trace.csv: one row per iteration 0..n-1 of one precision; an exact zero (or 6) exactly where the minimal
    distance to the kink is 0."""
    import pandera.pandas as pa

    count, distance = pa.Column(int, pa.Check.ge(0)), pa.Column(float, pa.Check.ge(0), coerce=True)
    relu6 = activation == "relu6"
    columns = {
        "iteration": count, "epoch": count, "batch": count, "difference12": distance, "difference23": distance,
        "active1": distance, "zeros1": count, "zeros2": count, "bits": pa.Column(int, pa.Check.isin([32, 64])),
        **({"active1_6": distance, "sixes1": count, "sixes2": count} if relu6 else {}),
        "activation": pa.Column(str, pa.Check.isin([activation])), "lr": pa.Column(float, pa.Check.gt(0)),
        "numpy_seed": pa.Column(int), "torch_seed": pa.Column(int),
        "hidden": pa.Column(str, pa.Check.str_matches(r"^\d+(-\d+)*$")), "threads": pa.Column(int, pa.Check.ge(1)),
    }
    one_run = ["bits", "activation", "lr", "numpy_seed", "torch_seed", "hidden", "threads"]
    checks = [
        pa.Check(lambda d: d["iteration"] == pd.Series(range(len(d)), index=d.index),
                 error="iterations 0..n-1 in order"),
        pa.Check(lambda d: (d[one_run].nunique() == 1).all(), error="one precision and set-up per trace"),
        pa.Check(lambda d: (d["active1"] == 0) == (d["zeros1"] > 0), error="active1 = 0 exactly when zeros1 > 0"),
    ]
    if relu6:
        checks.append(pa.Check(lambda d: (d["active1_6"] == 0) == (d["sixes1"] > 0),
                               error="active1_6 = 0 exactly when sixes1 > 0"))
    return pa.DataFrameSchema(columns, strict=True, ordered=True, unique=["iteration"], checks=checks)


def read_trace(path: str | Path) -> pd.DataFrame:
    """A trace.csv checked against `trace_schema` (the activation its header implies); a self-describing path
    (.../bits~B/iterations~N/trace.csv) also fixes its precision and its N rows."""
    from relurepro import schemas

    try:
        header = list(pd.read_csv(path, nrows=0).columns)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: empty file") from None
    m = _TRACE_PATH.search(str(path))
    df = schemas.read(path, trace_schema("relu6" if "active1_6" in header else "relu"),
                      rows=None if m is None else int(m["iterations"]))
    if m is not None and not (df["bits"] == int(m["bits"])).all():
        raise ValueError(f"{path}: bits {sorted(df['bits'].unique())} disagree with the path's {m['bits']}")
    return df


def zone_schema():
    """A zone.csv (ZONE_COLUMNS, then threads): per precision a square grid of points ix, iy in 0..n-1 with one
    step x per column and one y per row, all around the same training hit."""
    import pandera.pandas as pa

    index, seed = pa.Column(int, pa.Check.ge(0)), pa.Column(int)
    step, distance = pa.Column(float, coerce=True), pa.Column(float, pa.Check.ge(0), coerce=True)
    hit = ["iteration", "exact_zero", "sample", "neuron", "zeros_in_batch", "direction_seed", "torch_seed",
           "numpy_seed", "threads"]

    def square(d):
        sizes = d.groupby("bits")[["ix", "iy"]].agg(["max", "size"])
        n = sizes[("ix", "max")] + 1
        return bool(((sizes[("ix", "size")] == n * n) & (sizes[("iy", "max")] + 1 == n)).all())

    return pa.DataFrameSchema({
        "bits": pa.Column(int, pa.Check.isin([32, 64])), "ix": index, "iy": index, "x": step, "y": step,
        "z": distance, "z_dot": distance, "iteration": index, "exact_zero": pa.Column(bool), "sample": index,
        "neuron": index, "zeros_in_batch": index, "direction_seed": seed, "torch_seed": seed, "numpy_seed": seed,
        "threads": pa.Column(int, pa.Check.ge(1)),
    }, strict=True, ordered=True, unique=["bits", "ix", "iy"], checks=[
        pa.Check(square, error="a square grid of ix, iy in 0..n-1 per precision"),
        pa.Check(lambda d: (d.groupby(["bits", "ix"])["x"].nunique() == 1).all()
                 and (d.groupby(["bits", "iy"])["y"].nunique() == 1).all(), error="one x per ix, one y per iy"),
        pa.Check(lambda d: (d[hit].nunique() == 1).all(), error="one training hit per grid"),
        pa.Check(lambda d: ~d["exact_zero"] | (d["zeros_in_batch"] > 0), error="an exact zero is counted in its batch"),
    ])


def read_zone(path: str | Path, rows: int | None = None) -> pd.DataFrame:
    """A zone.csv checked against `zone_schema`; with `rows`, exactly that many grid points."""
    from relurepro import schemas

    return schemas.read(path, zone_schema(), rows=rows)
