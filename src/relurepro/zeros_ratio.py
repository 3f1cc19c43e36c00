"""The relu_prime ``zeros_ratio`` figure (spec 3.28, 4.4, 5.3.4): exact zeros in ReLU pre-activations by precision.

Two protocols, one output schema:
- ``train`` (the original, paper scale): train the zero-counting MLP (Linear 784->N, (L-1) x Linear N->N, Linear
  N->10, native ReLU after each hidden Linear) with SGD and count exact zeros in the ReLU inputs every epoch. One
  *pass* = one epoch.
- ``init`` (the CPU variant of spec 5.3.4; a labelled deviation): no training; per random initialisation one
  forward pass over the data, counting exact zeros in the same pre-activations. One *pass* = one initialisation.

The original plot (S10) draws cum_zeros / (passes x L x N), labelled "Ratio of Relu(0) calls": exact zeros per
hidden unit per pass, not a proportion. The true ratio divides by the ReLU calls, passes x samples x L x N.
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

# One CSV per job (rule zeros_count): one row per (cell, run, pass).
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
    """Linear in->N, (L-1) x Linear N->N, Linear N->out, native ReLU after each hidden Linear (spec 2.2)."""
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


def read_runs(path: str | Path) -> pd.DataFrame:
    """A per-job CSV, checked: fails naming the file when it does not follow RUN_COLUMNS."""
    df = pd.read_csv(path)
    if list(df.columns) != list(RUN_COLUMNS):
        raise ValueError(f"{path}: expected columns {list(RUN_COLUMNS)}, found {list(df.columns)}")
    ok = ~df["diverged"].astype(bool)
    bad = df[~df["protocol"].isin(PROTOCOLS) | ~df["bits"].isin((16, 32, 64)) | (df["zeros"] < 0)
             | (df["zeros"] > df["relu_calls"])
             | (ok & (df["relu_calls"] != df["samples"] * df["layers"] * df["neurons"]))]
    if len(bad) or df.empty:
        raise ValueError(f"{path}: malformed or no rows:\n{bad.head()}")
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
    """Fail loudly, naming the file, when an aggregated CSV does not follow COLUMNS."""
    if list(df.columns) != list(COLUMNS):
        raise ValueError(f"{path}: expected columns {list(COLUMNS)}, found {list(df.columns)}")
    bad = df[~df["protocol"].isin(PROTOCOLS) | ~df["bits"].isin((16, 32, 64)) | (df["runs"] < 1)
             | (df["relu_calls"] < 1) | (df["zeros"] < 0) | (df["zeros"] > df["relu_calls"])]
    if len(bad) or df.empty:
        raise ValueError(f"{path}: malformed or no rows:\n{bad.head()}")
