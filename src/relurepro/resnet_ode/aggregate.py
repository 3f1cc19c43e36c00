"""Gathering the resnet_ode training runs: one CSV of every epoch, a per-run summary (Figure 3c's metric), and
the per-epoch lines of the training-curve figures."""

from __future__ import annotations

import pandas as pd

RUN_KEYS = ["depth", "method", "grad", "bn_recompute", "seed"]
REQUIRED = [*RUN_KEYS, "epoch", "test_accuracy", "train_loss", "diverged"]


def read_runs(paths) -> pd.DataFrame:
    frames = []
    for path in paths:
        frame = pd.read_csv(path)
        missing = [c for c in REQUIRED if c not in frame.columns]
        if missing or frame.empty:
            raise ValueError(f"{path}: not a tiny-run metrics file (missing columns {missing} or no rows)")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
    """Per run: 100 - best-epoch test accuracy (the original's metric, S5 'best'), the last epoch's, and whether
    the run diverged (a diverged run's best is over its finite epochs; with none it is 100 % error)."""

    def one(g: pd.DataFrame) -> pd.Series:
        acc = g.sort_values("epoch").test_accuracy
        return pd.Series({"error_best": 100 - 100 * acc.max() if acc.notna().any() else 100.0,
                          "error_last": 100 - 100 * acc.iloc[-1] if pd.notna(acc.iloc[-1]) else 100.0,
                          "final_train_loss": g.sort_values("epoch").train_loss.iloc[-1],
                          "diverged": bool(g.diverged.astype(bool).any()), "epochs": len(g)})

    return runs.groupby(RUN_KEYS).apply(one, include_groups=False).reset_index()


def mean_error_table(summary: pd.DataFrame, metric: str = "best") -> pd.DataFrame:
    """Mean error over seeds: rows depth, columns '<method>+<grad>[/<bn_recompute>]'."""
    label = summary.method + "+" + summary.grad + summary.bn_recompute.where(summary.grad == "adjoint", "").map(
        lambda b: f"/{b}" if b else "")
    return summary.assign(config=label).pivot_table(index="depth", columns="config", values=f"error_{metric}",
                                                    aggfunc="mean")


def curve_lines(kind: str, tables: list[pd.DataFrame]) -> list[tuple[str, pd.DataFrame, dict]]:
    """(label, epoch/value table, line style) per line of a per-epoch test-error figure.

    kind 'tied': eval-mode and batch-statistics test error of the tied pretraining; 'failure': mean over seeds
    of Euler backprop vs adjoint at one depth (one line per batch-norm handling); 'imagenet': top-1 validation
    error of each ImageNet run."""
    lines = []
    if kind == "tied":
        (t,) = tables
        lines.append(("tied, eval mode (shared running statistics)", t.assign(value=100 - 100 * t.test_accuracy),
                      {"color": "k", "lw": 2}))
        lines.append(("tied, batch statistics", t.assign(value=100 - 100 * t.test_accuracy_batch_stats),
                      {"color": "tab:orange", "lw": 2, "ls": "--"}))
    elif kind == "failure":
        runs = pd.concat(tables, ignore_index=True)
        for (grad, bn), g in runs.groupby(["grad", "bn_recompute"]):
            mean = g.groupby("epoch").test_accuracy.mean()
            label = "ResNet + Backprop" if grad == "backprop" else f"ResNet + Adjoint Method (BN recompute: {bn})"
            style = {"color": "purple", "lw": 2} if grad == "backprop" else {"lw": 2, "ls": "--"}
            lines.append((label, pd.DataFrame({"epoch": mean.index, "value": 100 - 100 * mean.values}), style))
    elif kind == "imagenet":
        for t in tables:
            lines.append((str(t.run.iloc[0]), t.assign(value=100 - 100 * t.val_top1), {"lw": 2}))
    else:
        raise ValueError(f"unknown curve kind {kind!r}")
    return lines
