"""A whole metrics.csv of the shared ImageNet loop (relurepro.imagenet_runs.run_schema), relu_prime's record: two
epochs of one run, optionally diverged in the second. Tests of both papers build their files from it."""

import math

import pandas as pd


def imagenet_run(alpha: float, run: int, diverge: bool = False) -> pd.DataFrame:
    last = math.nan if diverge else None
    return pd.DataFrame({
        "epoch": [1, 2], "lr": 0.1, "train_loss": [2.0, last or 1.5], "train_top1": [0.3, last or 0.4],
        "val_loss": [2.1, last or 1.9], "val_top1": [0.3, last or 0.5], "val_top5": [0.6, last or 0.7],
        "exact_zeros": [3.0, last or 1.0], "relu_inputs": [100.0, last or 100.0], "diverged": [False, diverge],
        "seconds": 1.0, "alpha": alpha, "run": run, "seed": 1000 * run + int(100 * alpha), "relu_grad_mode": "set",
        "device": "cuda", "cfg_epochs": 2, "cfg_batch_size": 256, "cfg_lr": 0.1, "cfg_momentum": 0.9,
        "cfg_weight_decay": 1e-4, "cfg_lr_step": 30, "cfg_lr_gamma": 0.1, "cfg_crop": 224, "cfg_resize": 256,
        "cfg_workers": 8, "cfg_max_batches": math.nan})
