"""The metrics file of the ImageNet training loop two papers share (relurepro.imagenet): its declared schema.
Torch-free, unlike the loop, so that the figure notebooks (whose environment has no torch) can check what they read.
"""

from __future__ import annotations

import pandas as pd


def cfg_columns(pa, seed: bool = False) -> dict:
    """The cfg_* columns of an ImageNet run (relurepro.imagenet.ImageNetConfig less the device; the seed too when
    the run records it there)."""
    count = pa.Column(int, pa.Check.ge(1))
    return {"cfg_epochs": count, "cfg_batch_size": count, "cfg_lr": pa.Column(float, pa.Check.gt(0), coerce=True),
            "cfg_momentum": pa.Column(float, pa.Check.ge(0), coerce=True),
            "cfg_weight_decay": pa.Column(float, pa.Check.ge(0), coerce=True), "cfg_lr_step": count,
            "cfg_lr_gamma": pa.Column(float, pa.Check.gt(0), coerce=True), "cfg_crop": count, "cfg_resize": count,
            "cfg_workers": pa.Column(int, pa.Check.ge(0)), **({"cfg_seed": pa.Column(int)} if seed else {}),
            # the rehearsal's cap on batches per pass; empty (all batches) in a real run
            "cfg_max_batches": pa.Column(float, pa.Check.ge(1), nullable=True, coerce=True)}


def run_schema(epochs: int | None = None, record: dict | None = None):
    """An ImageNet run's metrics.csv: epochs 1..cfg_epochs of one run; NaN metrics exactly from the first diverged
    epoch on (diverged training is data), accuracies fractions with top-1 <= top-5. `record`: the columns after
    the epoch rows (by default relu_prime's: alpha, run, seed, gradient mode, device and configuration; resnet_ode's runs
    record others)."""
    import pandera.pandas as pa

    nan_ok = {"coerce": True, "nullable": True}
    fraction, positive = pa.Column(float, pa.Check.in_range(0, 1), **nan_ok), pa.Column(float, pa.Check.ge(0), **nan_ok)
    epoch = [pa.Check.ge(1)] + ([pa.Check.le(epochs)] if epochs is not None else [])
    if record is None:
        record = {"alpha": pa.Column(float, coerce=True), "run": pa.Column(int, pa.Check.ge(0)),
                  "seed": pa.Column(int), "relu_grad_mode": pa.Column(str, pa.Check.isin(["set", "chain"])),
                  "device": pa.Column(str), **cfg_columns(pa)}
    run = list(record)

    def stays(d):  # once diverged, a run stays diverged (rows in epoch order: checked too)
        flag = d["diverged"].astype(int)
        return flag.cummax() == flag

    return pa.DataFrameSchema({
        "epoch": pa.Column(int, epoch), "lr": positive, "train_loss": positive, "train_top1": fraction,
        "val_loss": positive, "val_top1": fraction, "val_top5": fraction, "exact_zeros": positive,
        "relu_inputs": positive, "diverged": pa.Column(bool), "seconds": positive, **record,
    }, strict=True, ordered=True, unique=["epoch"], checks=[
        pa.Check(lambda d: (d[run].nunique(dropna=False) == 1).all(), error="one run and configuration per file"),
        pa.Check(lambda d: d["epoch"] == pd.Series(range(1, len(d) + 1), index=d.index),
                 error="epochs 1..n in order"),
        pa.Check(lambda d: len(d) == d["cfg_epochs"].iloc[0], error="one row per configured epoch"),
        pa.Check(lambda d: d["diverged"] == d["train_loss"].isna(), error="NaN loss exactly in diverged rows"),
        pa.Check(lambda d: d["diverged"] | (d["val_top1"] <= d["val_top5"]), error="val_top1 <= val_top5"),
        pa.Check(stays, error="a run stays diverged from its first diverged epoch on"),
    ])
