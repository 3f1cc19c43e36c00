"""resnet_ode figures (§3), drawn with matplotlib from the aggregated CSVs; every figure prints its note (scale,
deviations, switches) under the panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import NullFormatter, ScalarFormatter

from relurepro.plotting import figure_with_note as _figure_with_note
from relurepro.plotting import save

COLOR = {"euler": "darkblue", "heun": "red"}
NAME = {"euler": "ResNet", "heun": "HeunNet"}
MODE_COLOR = {"backprop": "purple", "adjoint": "tab:blue"}


def figure_with_note(nrows: int, ncols: int, panel_w: float, panel_h: float, note: str):
    """Room on the left for the y labels of these narrow panels."""
    return _figure_with_note(nrows, ncols, panel_w, panel_h, note,
                             margins={"left": 0.7 / (panel_w * ncols), "wspace": 0.45})


def loglog_slope(x, y) -> float:
    """Least-squares slope of log y against log x."""
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


def linear_weights(weights: pd.DataFrame, roughness: pd.DataFrame, steps: list[int], entries: str, seed: int,
                   note: str, pdf: str, png: str) -> None:
    """Figure 2: A_k[:, i, j] vs layer at the chosen steps (one matrix entry per curve: a fresh random one per
    curve, S9 'original', or (0, 0) for all); right: max_n ||A_{n+1} - A_n|| vs N at the last step."""
    fig, axes = figure_with_note(1, 2, 3.5, 2.5, note)
    ax = axes[0, 0]
    n = weights.N.max()
    d = int(weights.i.max()) + 1
    rng = np.random.RandomState(seed)
    main = weights[weights.N == n]
    for k in steps:
        i, j = rng.randint(0, d, 2) if entries == "original" else (0, 0)
        curve = main[(main.step == k) & (main.i == i) & (main.j == j)].sort_values("layer")
        ax.plot(curve.layer, curve.value, lw=3, label=f"Step: {k}")
    ax.set(xlabel="Depth N", ylabel="Weight value")
    ax.legend(ncol=2, fontsize=6)
    ax = axes[0, 1]
    last = roughness.sort_values("N")
    ax.loglog(last.N, last.roughness, "o-", color="k", label="trained weights (last step)")
    ax.loglog(last.N, last.roughness.iloc[0] * last.N.iloc[0] / last.N, "--", color="grey", label="1/N")
    ax.set(xlabel="N", ylabel=r"max$_n\,\|A_{n+1}-A_n\|$",
           title=f"slope {loglog_slope(last.N, last.roughness):.2f}")
    ax.legend(fontsize=6)
    save(fig, pdf, png)


def memory(table: pd.DataFrame, note: str, pdf: str, png: str) -> None:
    """Peak memory during one forward + backward vs depth (above the setup's, one fresh process per point):
    backprop linear, adjoint flat."""
    fig, axes = figure_with_note(1, 1, 4.0, 2.2, note)
    ax = axes[0, 0]
    for mode, label in (("backprop", "Backpropagation"), ("adjoint", "Adjoint Method")):
        t = table[table["mode"] == mode].sort_values("depth")
        ax.plot(t.depth, t.peak_mib, "o-", lw=3, color=MODE_COLOR[mode], label=label)
    ax.set(yscale="log", xlabel="Depth", ylabel="Peak memory (MiB)",
           title=f"forward + backward, {table.metric.iloc[0]} above setup")
    ax.title.set_fontsize(7)
    # plain numbers on the log axis: narrow labels that fit the panel's left margin
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.legend(fontsize=6)
    save(fig, pdf, png)


def reconstruction(table: pd.DataFrame, note: str, pdf: str, png: str) -> None:
    """Relative error of the input rebuilt by the reverse pass vs N, log-log, with a slope -1 reference."""
    fig, axes = figure_with_note(1, 1, 3.5, 2.6, note)
    ax = axes[0, 0]
    t = table.sort_values("depth")
    ax.loglog(t.depth, t.error, "o-", lw=2, color="darkblue",
              label=f"reverse {t.method.iloc[0].capitalize()} (slope {loglog_slope(t.depth, t.error):.2f})")
    ax.loglog(t.depth, t.error.iloc[0] * t.depth.iloc[0] / t.depth, "--", color="grey", label="slope -1")
    ax.set(xlabel="N", ylabel="Reconstruction error")
    ax.grid(True, which="major", lw=0.3)
    ax.legend(fontsize=6)
    save(fig, pdf, png)


def _quartile_curve(ax, t: pd.DataFrame, x: str, y: str, **style) -> None:
    g = t.groupby(x)[y]
    ax.plot(g.mean().index, g.mean().values, **style)
    ax.fill_between(g.mean().index, g.quantile(0.25).values, g.quantile(0.75).values, alpha=0.2,
                    color=style.get("color"))


def cifar_depth_error(summary: pd.DataFrame, metric: str, note: str, pdf: str, png: str) -> None:
    """Figure 3c: test error vs depth, mean over seeds with the 25-75 % band; one panel per batch-norm handling of
    the adjoint's recomputations (backprop curves repeated)."""
    variants = sorted(summary.loc[summary.grad != "backprop", "bn_recompute"].unique())
    fig, axes = figure_with_note(1, len(variants), 3.4, 3.0, note)
    depths = sorted(summary.depth.unique())
    column = f"error_{metric}"
    for ax, variant in zip(axes[0], variants):
        for method in ("euler", "heun"):
            for grad, style in (("adjoint", "--"), ("backprop", "-")):
                t = summary[(summary.method == method) & (summary.grad == grad)]
                if grad == "adjoint":
                    t = t[t.bn_recompute == variant]
                if t.empty:
                    continue
                t = t.assign(slot=t.depth.map(depths.index))
                label = f"{NAME[method]} + {'Adjoint Method' if grad == 'adjoint' else 'Backprop'}"
                _quartile_curve(ax, t, "slot", column, color=COLOR[method], ls=style, lw=2, label=label)
        ax.set(yscale="log", xlabel="Depth", ylabel=f"Test error (%, {metric} epoch)",
               title=f"adjoint BN recompute: {variant}")
        ax.set_xticks(range(len(depths)), [str(d) for d in depths])
        ax.grid(True, which="major", lw=0.3)
        ax.legend(fontsize=5, handlelength=2)
    save(fig, pdf, png)


def gradient_errors(table: pd.DataFrame, note: str, pdf: str, png: str, seed: int = 0) -> None:
    """Figure 4: every parameter's relative (squared) gradient error per depth; ResNet left, HeunNet right of
    each depth slot, horizontal jitter from RandomState(seed)."""
    fig, axes = figure_with_note(1, 1, 3.6, 2.6, note)
    ax = axes[0, 0]
    depths = sorted(table.depth.unique())
    rng = np.random.RandomState(seed)
    for method, side in (("euler", -1), ("heun", 1)):
        for slot, depth in enumerate(depths):
            t = table[(table.method == method) & (table.depth == depth)]
            x = slot + side * 0.2 * (rng.uniform(size=len(t)) + 0.5)
            ax.scatter(x, t.relative, s=2, alpha=0.6, color=COLOR[method], linewidths=0)
            ax.plot([slot + side * 0.3], [t.relative.median()], "_", ms=8, color=COLOR[method])
        ax.scatter([], [], s=5, color=COLOR[method], label=NAME[method])
    ax.set(yscale="log", xlabel="Depth", ylabel="Gradient error")
    ax.set_xticks(range(len(depths)), [str(d) for d in depths])
    ax.grid(True, lw=0.3)
    ax.legend(fontsize=6)
    save(fig, pdf, png)


def training_curves(runs: list[tuple[str, pd.DataFrame, dict]], ylabel: str, title: str, note: str, pdf: str,
                    png: str) -> None:
    """Per-epoch curves, one (label, table, style) per line; tables have `epoch` and `value` (in %)."""
    fig, axes = figure_with_note(1, 1, 4.0, 2.8, note)
    ax = axes[0, 0]
    for label, t, style in runs:
        ax.plot(t.epoch, t.value, label=label, **style)
    ax.set(xlabel="Epoch", ylabel=ylabel, title=title, yscale="log")
    ax.grid(True, which="major", lw=0.3)
    ax.legend(fontsize=6)
    save(fig, pdf, png)
