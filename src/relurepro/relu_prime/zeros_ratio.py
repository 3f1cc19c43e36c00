"""The relu_prime ``zeros_ratio`` figure (§3.28, §4.4, §5.3.4): exact zeros in ReLU pre-activations by precision.

Two protocols, one output schema:
- ``train`` (the original, paper scale): train the zero-counting MLP (Linear 784->N, (L-1) x Linear N->N, Linear
  N->10, native ReLU after each hidden Linear) with SGD and count exact zeros in the ReLU inputs every epoch. One
  *pass* = one epoch.
- ``init`` (the CPU variant of relu_prime §5.3.4; a labelled deviation): no training; per random initialisation one
  forward pass over the data, counting exact zeros in the same pre-activations. One *pass* = one initialisation.

The original plot (relu_prime S10) draws cum_zeros / (passes x L x N), labelled "Ratio of Relu(0) calls": exact
zeros per hidden unit per pass, not a proportion. The true ratio divides by the ReLU calls, passes x samples x L x N.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch
from torch import nn

from relurepro.data import TensorData, batches
from relurepro.models.mlp import mlp
from relurepro.numerics import ExactZeroCounter, dtype_for_bits

PROTOCOLS = ("init", "train")

# One CSV per job (rule rp_zeros_count): one row per (cell, run, pass).
RUN_COLUMNS = {
    "protocol": "init (forward passes at initialisation) or train (SGD epochs)",
    "layers": "hidden ReLU layers L",
    "neurons": "hidden width N",
    "bits": "precision of weights, inputs and arithmetic: 16, 32 or 64",
    "run": "run index; the torch seed of its initialisation is seed_base + run",
    "seed": "torch seed of the initialisation (and of the shuffling in train)",
    "pass": "epoch (train, from 1) or 1 (init: one forward pass per initialisation)",
    "samples": "samples seen in this pass",
    "zeros": "exact zeros (+0.0 and -0.0) among the hidden pre-activations in this pass",
    "relu_calls": "hidden pre-activations evaluated in this pass = samples x L x N",
    "diverged": "train only: the run stopped on a non-finite loss (its later passes are empty)",
}

# The aggregated CSV (results/relu_prime/zeros_ratio.csv): one row per (protocol, layers, neurons, bits).
COLUMNS = {
    "protocol": "init or train",
    "layers": "hidden ReLU layers L",
    "neurons": "hidden width N",
    "bits": "16, 32 or 64",
    "runs": "runs (initialisations) aggregated",
    "passes": "passes aggregated: runs x epochs (train) or runs (init)",
    "zeros": "exact zeros over all passes (cum_zeros)",
    "relu_calls": "ReLU calls over all passes",
    "true_ratio": "zeros / relu_calls: exact zeros per ReLU call",
    "original_x": "passes x L x N: the original's recomputed cum_relu, labelled 'Total number of Relu calls'",
    "original_y": "zeros / original_x: the original's y, labelled 'Ratio of Relu(0) calls' (zeros per unit per pass)",
    "dataset": "dataset:split:samples",
}


def zero_counting_mlp(layers: int, neurons: int, in_features: int = 784, out_features: int = 10) -> nn.Sequential:
    """Linear in->N, (L-1) x Linear N->N, Linear N->out, native ReLU after each hidden Linear (relu_prime §2.2)."""
    return mlp(in_features, [neurons] * layers, out_features, nn.ReLU)


def _relus(model: nn.Module) -> dict[str, nn.Module]:
    return {name: m for name, m in model.named_modules() if isinstance(m, nn.ReLU)}


@torch.no_grad()
def count_at_init(data: TensorData, layers: int, neurons: int, bits: int, runs: int, *, seed_base: int = 0,
                  batch_size: int = 256) -> list[dict]:
    """Per run: a fresh default-initialised net (torch seed seed_base + run, float32, then cast to `bits`)
    and one unshuffled forward pass over `data`, counting exact zeros in every hidden pre-activation."""
    dtype = dtype_for_bits(bits)
    x_all = data.x.to(dtype)
    in_features = x_all[0].numel()
    rows = []
    for run in range(runs):
        seed = seed_base + run
        torch.manual_seed(seed)
        net = zero_counting_mlp(layers, neurons, in_features).to(dtype).eval()
        with ExactZeroCounter(_relus(net)) as counter:
            for x, _ in batches(TensorData(x_all, data.y, data.name, data.split), batch_size):
                net(x)
        rows.append(_row("init", layers, neurons, bits, run, seed, 1, len(data), counter.total_zeros,
                         counter.total_entries, False))
    return rows


def count_in_training(data: TensorData, layers: int, neurons: int, bits: int, runs: int, cfg, *, seed_base: int = 0,
                      checkpoint_dir: str | Path | None = None, progress: bool = True) -> list[dict]:
    """Per run: train the zero-counting MLP in `bits` (model and data cast; 16 bit = pure half, no loss scaling,
    as the original's net.half()) with relurepro.training.train, which counts exact ReLU-input zeros per epoch."""
    from dataclasses import replace

    from relurepro.training import train

    dtype = dtype_for_bits(bits)
    in_features = data.x[0].numel()
    rows = []
    for run in range(runs):
        seed = seed_base + run
        torch.manual_seed(seed)
        net = zero_counting_mlp(layers, neurons, in_features).to(dtype)
        checkpoint = Path(checkpoint_dir) / f"run{run}.pt" if checkpoint_dir is not None else None
        metrics = train(net, data, None, replace(cfg, seed=seed), checkpoint=checkpoint, progress=progress,
                        desc=f"L={layers} N={neurons} {bits} bit run {run}")
        for m in metrics:
            ok = not m["diverged"]
            rows.append(_row("train", layers, neurons, bits, run, seed, m["epoch"], len(data) if ok else 0,
                             int(m["exact_zeros"]) if ok else 0, int(m["relu_inputs"]) if ok else 0, not ok))
    return rows


def _row(protocol, layers, neurons, bits, run, seed, pass_, samples, zeros, calls, diverged) -> dict:
    return {"protocol": protocol, "layers": int(layers), "neurons": int(neurons), "bits": int(bits), "run": run,
            "seed": seed, "pass": pass_, "samples": samples, "zeros": zeros, "relu_calls": calls,
            "diverged": diverged}


def run_schema():
    """The declared schema of a per-job CSV (relurepro.schemas): RUN_COLUMNS, one row per (cell, run, pass), the
    calls of a pass = samples x L x N, and diverged passes (training only) empty."""
    import pandera.pandas as pa  # here: only aggregation needs pandera

    count = pa.Check.ge(0)
    return pa.DataFrameSchema({
        "protocol": pa.Column(str, pa.Check.isin(PROTOCOLS)), "layers": pa.Column(int, pa.Check.ge(1)),
        "neurons": pa.Column(int, pa.Check.ge(1)), "bits": pa.Column(int, pa.Check.isin([16, 32, 64])),
        "run": pa.Column(int, count), "seed": pa.Column(int), "pass": pa.Column(int, pa.Check.ge(1)),
        "samples": pa.Column(int, count), "zeros": pa.Column(int, count), "relu_calls": pa.Column(int, count),
        "diverged": pa.Column(bool),
    }, strict=True, ordered=True, unique=["protocol", "layers", "neurons", "bits", "run", "pass"], checks=[
        pa.Check(lambda d: d["zeros"] <= d["relu_calls"], error="zeros <= relu_calls"),
        pa.Check(lambda d: d["diverged"] | ((d["samples"] >= 1)
                                            & (d["relu_calls"] == d["samples"] * d["layers"] * d["neurons"])),
                 error="relu_calls = samples x layers x neurons"),
        pa.Check(lambda d: ~d["diverged"] | ((d["samples"] == 0) & (d["relu_calls"] == 0)),
                 error="a diverged pass is empty"),
        pa.Check(lambda d: (d["protocol"] == "train") | ((d["pass"] == 1) & ~d["diverged"]),
                 error="init: one pass per run, never diverged"),
    ])


def read_runs(path: str | Path) -> pd.DataFrame:
    """A per-job CSV, validated against `run_schema` (a violation names the file and its lines). A count job's
    self-describing path (relurepro.relu_prime.grid.zeros_ratio_job) also fixes its protocol, precision, and the
    (layers, neurons, run, pass) rows it must hold: exactly those, no duplicate or missing one."""
    import itertools

    from relurepro import schemas
    from relurepro.relu_prime.grid import zeros_ratio_job

    job = zeros_ratio_job(path)
    rows = None if job is None else len(job["layers"]) * len(job["neurons"]) * job["runs"] * job["passes"]
    df = schemas.read(path, run_schema(), rows=rows)
    if job is not None:
        if not ((df["protocol"] == job["protocol"]) & (df["bits"] == job["bits"])).all():
            raise ValueError(f"{path}: protocol or bits disagree with the path ({job['protocol']}, {job['bits']})")
        want = set(itertools.product(job["layers"], job["neurons"], range(job["runs"]), range(1, job["passes"] + 1)))
        found = set(zip(df["layers"], df["neurons"], df["run"], df["pass"]))
        if found != want:
            raise ValueError(f"{path}: (layers, neurons, run, pass) rows {sorted(found - want)[:5]} not promised by "
                             f"the path, {sorted(want - found)[:5]} missing")
    return df


def aggregate(paths: list[str | Path], dataset: str) -> pd.DataFrame:
    """One row per (protocol, layers, neurons, bits) from the per-job CSVs (COLUMNS). Passes of diverged
    runs after their divergence carry no calls and are not counted."""
    runs = pd.concat([read_runs(p) for p in paths], ignore_index=True)
    runs = runs[~runs["diverged"].astype(bool)]
    keys = ["protocol", "layers", "neurons", "bits"]
    agg = runs.groupby(keys, as_index=False).agg(runs=("run", "nunique"), passes=("pass", "size"),
                                                 zeros=("zeros", "sum"), relu_calls=("relu_calls", "sum"))
    agg["true_ratio"] = agg["zeros"] / agg["relu_calls"]
    agg["original_x"] = agg["passes"] * agg["layers"] * agg["neurons"]
    agg["original_y"] = agg["zeros"] / agg["original_x"]
    agg["dataset"] = dataset
    return agg.sort_values(keys, kind="stable")[list(COLUMNS)].reset_index(drop=True)


def validate_aggregate(df: pd.DataFrame, path: str = "zeros_ratio.csv") -> None:
    """Fail, naming the file and its lines, when an aggregated table does not follow COLUMNS (relurepro.schemas)."""
    import pandera.pandas as pa

    from relurepro import schemas

    schema = pa.DataFrameSchema({
        "protocol": pa.Column(str, pa.Check.isin(PROTOCOLS)), "layers": pa.Column(int, pa.Check.ge(1)),
        "neurons": pa.Column(int, pa.Check.ge(1)), "bits": pa.Column(int, pa.Check.isin([16, 32, 64])),
        "runs": pa.Column(int, pa.Check.ge(1)), "passes": pa.Column(int, pa.Check.ge(1)),
        "zeros": pa.Column(int, pa.Check.ge(0)), "relu_calls": pa.Column(int, pa.Check.ge(1)),
        "true_ratio": pa.Column(float, pa.Check.in_range(0, 1), coerce=True),
        "original_x": pa.Column(int, pa.Check.ge(1)), "original_y": pa.Column(float, pa.Check.ge(0), coerce=True),
        "dataset": pa.Column(str),
    }, strict=True, ordered=True, unique=["protocol", "layers", "neurons", "bits"], checks=[
        pa.Check(lambda d: d["zeros"] <= d["relu_calls"], error="zeros <= relu_calls"),
        pa.Check(lambda d: d["passes"] >= d["runs"], error="at least one pass per run"),
        pa.Check(lambda d: (d["protocol"] == "train") | (d["passes"] == d["runs"]), error="init: one pass per run"),
        pa.Check(lambda d: d["original_x"] == d["passes"] * d["layers"] * d["neurons"],
                 error="original_x = passes x layers x neurons"),
        pa.Check(lambda d: (d["true_ratio"] - d["zeros"] / d["relu_calls"]).abs() <= 1e-12,
                 error="true_ratio = zeros / relu_calls"),
    ])
    schemas.check(df.reset_index(drop=True), schema, path)


def read_aggregate(path: str | Path) -> pd.DataFrame:
    """zeros_ratio.csv as rule rp_zeros_ratio_table wrote it, checked (`validate_aggregate`)."""
    from relurepro import schemas

    return schemas.read_checked(path, validate_aggregate)
