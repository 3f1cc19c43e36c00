"""relu_prime ``volume_mnist_stats``: how much the first-layer gradients of ReLU'(0)=1 and ReLU'(0)=0 differ.

Protocol (relu_prime §2.6, "MNIST norm-diff"): the ``no_first_relu`` MLP, identical weights in both nets, every batch
of one pass (no early stop), gradients zeroed before each batch, no parameter update. Per batch we record the
L1/L2 norms of both nets' first-layer weight gradients and of their difference. A 0-vs-0 control (both nets
ReLU'(0)=0) must differ on no batch: it catches nondeterminism.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import torch
from torch import nn

from relurepro.relu_prime.volume import VolumeCell, build_net

BATCH_COLUMNS = ["comparison", "bits", "run", "seed", "batch_idx", "same", "net0_L1", "net0_L2", "net1_L1",
                 "net1_L2", "diff_L1", "diff_L2"]
COMPARISONS = {"1_vs_0": 1.0, "0_vs_0": 0.0}


def batch_norms(cell: VolumeCell, xs, ys, seed: int, comparison: str) -> list[dict]:
    """One run: a row per batch with the gradient norms of net0 (alpha=0) and net1 (alpha per comparison)."""
    torch.manual_seed(seed)
    to = {"dtype": xs[0].dtype, "device": xs[0].device}
    net0 = build_net(cell, alpha=0.0).to(**to)
    net1 = build_net(cell, alpha=COMPARISONS[comparison]).to(**to)
    net1.load_state_dict(net0.state_dict())
    loss_fn = nn.CrossEntropyLoss()
    rows = []
    for i, (x, y) in enumerate(zip(xs, ys)):
        grads = []
        for net in (net0, net1):
            net.zero_grad(set_to_none=True)
            loss_fn(net(x), y).backward()
            grads.append(net[1].weight.grad.double())
        g0, g1 = grads
        rows.append({"comparison": comparison, "bits": cell.bits, "run": seed, "seed": seed, "batch_idx": i,
                     "same": bool(torch.equal(g0, g1)),
                     "net0_L1": g0.abs().sum().item(), "net0_L2": g0.norm().item(),
                     "net1_L1": g1.abs().sum().item(), "net1_L2": g1.norm().item(),
                     "diff_L1": (g1 - g0).abs().sum().item(), "diff_L2": (g1 - g0).norm().item()})
    return rows


def summarize(batches: pd.DataFrame) -> pd.DataFrame:
    """The Section-3 statistics per (comparison, bits), with the original's double-divided value beside the
    correct one (relu_prime S9): % runs affected, % minibatches affected, quantiles of ||g1 - g0||_2 / ||g0||_2."""
    missing = set(BATCH_COLUMNS) - set(batches.columns)
    if missing:
        raise ValueError(f"norm-diff table lacks columns {sorted(missing)}")
    rows = []
    for (comparison, bits), group in batches.groupby(["comparison", "bits"], sort=True):
        runs = group["run"].nunique()
        affected = group[group["diff_L1"] > 0]
        pct_batches = 100.0 * len(affected) / len(group)
        rel = (affected["diff_L2"] / affected["net0_L2"]).describe()
        rows.append({
            "comparison": comparison, "bits": bits, "runs": runs, "minibatches": len(group),
            "pct_runs_affected": 100.0 * affected["run"].nunique() / runs,
            "pct_minibatches_affected": pct_batches,
            "pct_minibatches_affected_original": pct_batches / runs,  # the original divides by #runs again
            **{f"rel_diff_{k}": (rel[k] if len(affected) else float("nan"))
               for k in ("min", "25%", "50%", "mean", "75%", "max")},
        })
    return pd.DataFrame(rows)


_RUNS = re.compile(r"comparison~(?P<comparison>[^/]+)/bits~(?P<bits>\d+)/runs~(?P<runs>\d+)/batches\.csv$")


def batch_schema():
    """The declared schema of a runs CSV (relurepro.schemas): BATCH_COLUMNS, one row per (run, batch), norms
    non-negative (NaN allowed: a 16-bit gradient may overflow, and that is data), equal gradients differ by 0."""
    import pandera.pandas as pa  # here: only the aggregation needs pandera

    norm = pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True)
    return pa.DataFrameSchema({
        "comparison": pa.Column(str, pa.Check.isin(list(COMPARISONS))),
        "bits": pa.Column(int, pa.Check.isin([16, 32, 64])), "run": pa.Column(int, pa.Check.ge(0)),
        "seed": pa.Column(int), "batch_idx": pa.Column(int, pa.Check.ge(0)), "same": pa.Column(bool),
        **{c: norm for c in BATCH_COLUMNS[6:]},
    }, strict=True, ordered=True, unique=["comparison", "bits", "run", "batch_idx"], checks=[
        pa.Check(lambda d: d["seed"] == d["run"], error="a run's seed is its number"),
        pa.Check(lambda d: ~d["same"] | ((d["diff_L1"] == 0) & (d["diff_L2"] == 0)),
                 error="equal gradients differ by 0"),
    ])


def read_batches(path: str | Path) -> pd.DataFrame:
    """A runs CSV validated against `batch_schema` (a violation names the file and its lines); its path
    (comparison~C/bits~B/runs~R/batches.csv) promises runs 0..R-1 of that comparison and precision, each over the
    same batches 0..n-1."""
    from relurepro import schemas

    df = schemas.read(path, batch_schema())
    m = _RUNS.search(str(path))
    if m is not None:
        if not ((df["comparison"] == m["comparison"]) & (df["bits"] == int(m["bits"]))).all():
            raise ValueError(f"{path}: comparison or bits disagree with the path")
        runs, n = int(m["runs"]), int(df["batch_idx"].max()) + 1
        # Unique (run, batch) rows above; here every promised run over every batch, nothing more.
        if sorted(df["run"].unique()) != list(range(runs)) or len(df) != runs * n:
            raise ValueError(f"{path}: {len(df)} rows, the job wrote runs 0..{runs - 1} x batches 0..{n - 1} "
                             f"= {runs * n} (duplicated or missing rows?)")
    return df


def validate_summary(df: pd.DataFrame, path: str | Path, rows: int | None = None) -> None:
    """Fail, naming the file and its lines, when the statistics table (`summarize`) breaks its schema."""
    import pandera.pandas as pa

    from relurepro import schemas

    pct = pa.Column(float, pa.Check.in_range(0, 100), coerce=True)
    rel = pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True)  # NaN where no minibatch differs
    schema = pa.DataFrameSchema({
        "comparison": pa.Column(str, pa.Check.isin(list(COMPARISONS))),
        "bits": pa.Column(int, pa.Check.isin([16, 32, 64])), "runs": pa.Column(int, pa.Check.ge(1)),
        "minibatches": pa.Column(int, pa.Check.ge(1)), "pct_runs_affected": pct, "pct_minibatches_affected": pct,
        "pct_minibatches_affected_original": pct,
        **{f"rel_diff_{k}": rel for k in ("min", "25%", "50%", "mean", "75%", "max")},
    }, strict=True, ordered=True, unique=["comparison", "bits"], checks=[
        pa.Check(lambda d: d["minibatches"] % d["runs"] == 0, error="every run over the same minibatches"),
        pa.Check(lambda d: (d["pct_minibatches_affected_original"] * d["runs"] - d["pct_minibatches_affected"]).abs()
                 < 1e-9, error="the original's percentage = ours / runs"),
    ])
    schemas.check(df, schema, path, rows=rows)


def read_summary(path: str | Path) -> pd.DataFrame:
    """The statistics table (volume_mnist_stats.csv) as its rule wrote it, checked (`validate_summary`)."""
    from relurepro import schemas

    return schemas.read_checked(path, validate_summary)
