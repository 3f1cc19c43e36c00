"""constnet figures (§3): accuracy curves and tables of the arms, symmetry deviation, weight correlations,
diversity, the LeakyNet table, time to break symmetry and a schematic of the architecture."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relurepro.constnet.grid import COMPUTED_FIGURES, EMULATIONS, arm_label, mechanism
from relurepro.plotting import figure_with_note, save, table_page


def _arms(metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per run name: its kind and arm settings (the per-run CSVs record them as arm_* columns)."""
    return metrics.groupby("name", sort=False)[["kind", "arm_init", "arm_breaker", "arm_droprate"]].first()


def labels(metrics: pd.DataFrame) -> dict[str, str]:
    """Run name -> legend entry saying what ran."""
    return {name: arm_label(a.kind, name, a.arm_init, a.arm_breaker, float(a.arm_droprate))
            for name, a in _arms(metrics).iterrows()}


def breaking_note(metrics: pd.DataFrame) -> str:
    """The line every constnet figure carries: which mechanism each run had to leave the symmetric manifold, and
    the first epoch its weights were no longer channel-symmetric (symmetry deviation > 0), or that they never left."""
    groups: dict[str, list[str]] = {}
    for name, a in _arms(metrics).iterrows():
        run = metrics[metrics.name == name]
        broken = run[run.symmetry_deviation > 0].epoch
        if not len(broken):
            when = "exactly symmetric at every epoch"
        else:  # random or identity init: the weights differ across channels before any training
            when = "asymmetric from init" if broken.min() == 0 else f"from epoch {int(broken.min())}"
        groups.setdefault(mechanism(a.kind, a.arm_init, a.arm_breaker, float(a.arm_droprate)), []).append(
            f"{name} ({when})")
    used = [EMULATIONS[b] for b in EMULATIONS if (metrics.arm_breaker == b).any()]
    text = "Symmetry broken by: " + "; ".join(f"{m}: {', '.join(runs)}" for m, runs in groups.items())
    return text + (f". Emulations: {'; '.join(used)}." if used else ".")


def acc_curves(metrics: pd.DataFrame, note: str, pdf: str, png: str) -> None:
    fig, axes = figure_with_note(1, 1, 8.0, 3.2, note, margins={"left": 0.1, "right": 0.5})
    ax = axes[0, 0]
    names = labels(metrics)
    for name, g in metrics.groupby("name", sort=False):
        mean = g.groupby("epoch").test_acc.mean() * 100
        ax.plot(mean.index, mean.values, lw=1.5, label=f"{names[name]} ({g.seed.nunique()} seed(s))")
    ax.axhline(10, color="grey", ls=":", lw=0.8, label="chance")
    ax.set(xlabel="epoch", ylabel="test top-1 (%)")
    ax.grid(True, lw=0.3)
    ax.legend(fontsize=5, loc="center left", bbox_to_anchor=(1.02, 0.5))
    save(fig, pdf, png)


def final_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per run name: best and final test accuracy (%), mean and std over seeds, and the final symmetry state."""
    rows, arms = [], _arms(metrics)
    for name, g in metrics.groupby("name", sort=False):
        a = arms.loc[name]
        per_seed = g.groupby("seed").agg(best=("test_acc", "max"), final=("test_acc", "last"),
                                         deviation=("symmetry_deviation", "last"),
                                         distinct=("distinct_channels", "last"))
        rows.append({"run": name, "mechanism": mechanism(a.kind, a.arm_init, a.arm_breaker, float(a.arm_droprate)),
                     "seeds": len(per_seed), "best %": 100 * per_seed.best.mean(),
                     "best std": 100 * per_seed.best.std() if len(per_seed) > 1 else float("nan"),
                     "final %": 100 * per_seed.final.mean(), "final deviation": per_seed.deviation.max(),
                     "distinct final channels": int(per_seed.distinct.max())})
    return pd.DataFrame(rows)


def symmetry(metrics: pd.DataFrame, note: str, pdf: str, png: str) -> None:
    """log10 relative channel deviation per epoch (exact zeros drawn on the floor line) and distinct channels."""
    fig, axes = figure_with_note(1, 2, 3.6, 3.0, note)
    floor, names = -12, labels(metrics)
    for (kind, name, seed), g in metrics.groupby(["kind", "name", "seed"], sort=False):
        dev = g.symmetry_deviation.to_numpy(float)
        y = np.where(dev > 0, np.log10(np.maximum(dev, 1e-300)), floor)
        line, = axes[0, 0].plot(g.epoch, y, lw=1, label=f"{names[name]} s{seed}")
        zero = dev == 0
        axes[0, 0].plot(g.epoch[zero], y[zero], "o", ms=2, color=line.get_color())
        axes[0, 1].plot(g.epoch, g.distinct_channels, lw=1, color=line.get_color())
    axes[0, 0].axhline(floor, color="k", lw=0.5)
    axes[0, 0].set(xlabel="epoch", ylabel="log10 relative channel deviation", title=f"dots at {floor}: exactly 0")
    axes[0, 1].set(xlabel="epoch", ylabel="distinct final channels (probe batch)", yscale="log")
    axes[0, 0].legend(fontsize=4)
    save(fig, pdf, png)


def weight_corr(corr: pd.DataFrame, note: str, pdf: str, png: str, names: dict[str, str] | None = None) -> None:
    """-ln|c| per layer and epoch, forward and backward correlations, a row per run (first seed); `names`: run
    name -> title."""
    names = names or {}
    runs = list(dict.fromkeys(zip(corr.kind, corr.name)))
    fig, axes = figure_with_note(len(runs), 2, 3.2, 2.2, note)
    for i, (kind, name) in enumerate(runs):
        g = corr[(corr.kind == kind) & (corr.name == name)]
        g = g[g.seed == g.seed.min()]
        for j, direction in enumerate(("forward", "backward")):
            ax = axes[i, j]
            for layer, t in g[g.kind_corr == direction].groupby("layer", sort=False):
                ax.plot(t.epoch, t.neg_log_abs_c.clip(upper=30), lw=0.8, label=layer)
            ax.set(xlabel="epoch", ylabel="-ln|c|", title=f"{names.get(name, name)}: {direction}")
            ax.title.set_fontsize(6)
        axes[i, 1].legend(fontsize=3, ncol=2)
    save(fig, pdf, png)


def diversity(metrics: pd.DataFrame, note: str, pdf: str, png: str) -> None:
    """Diversity = sum over layers of ln sqrt(1 - c_backward^2); -inf (a fully correlated layer) drawn as a cross
    at the bottom."""
    fig, axes = figure_with_note(1, 1, 4.5, 3.0, note)
    ax = axes[0, 0]
    finite = metrics.diversity[np.isfinite(metrics.diversity)]
    bottom, names = (finite.min() if len(finite) else 0) - 1, labels(metrics)
    for (name, seed), g in metrics.groupby(["name", "seed"], sort=False):
        d = g.diversity.to_numpy(float)
        line, = ax.plot(g.epoch, np.where(np.isfinite(d), d, np.nan), lw=1, label=f"{names[name]} s{seed}")
        ax.plot(g.epoch[~np.isfinite(d)], np.full((~np.isfinite(d)).sum(), bottom), "x", ms=3,
                color=line.get_color())
    ax.set(xlabel="epoch", ylabel="Diversity", title=f"x at {bottom:.1f}: -inf (a layer with |c| = 1)")
    ax.legend(fontsize=4)
    save(fig, pdf, png)


BREAK_RULES = ("cumulative", "streak_start")


def break_epoch(epochs, accs, rule: str = "cumulative", threshold: float = 0.5, count: int = 4) -> int:
    """When symmetry counts as broken, from test accuracies per epoch (epoch 0, the initialisation, is not counted:
    the original evaluates only after training epochs). -1: never.

    `cumulative` (default, the original's --symmetry_break): epochs with accuracy above `threshold` are counted
    without resetting, and the epoch that brings the count to `count` is returned. The original returns its 0-based
    loop counter there; this returns the epoch's number (1 = after the first training epoch), i.e. theirs + 1.
    `streak_start`: the first epoch of the first `count` consecutive epochs above `threshold`."""
    if rule not in BREAK_RULES:
        raise ValueError(f"unknown rule {rule!r}; choose one of {BREAK_RULES}")
    above = 0
    for e, acc in zip(epochs, accs):
        if e < 1:
            continue
        if acc > threshold:
            above += 1
        elif rule == "streak_start":
            above = 0
        if above == count:
            return int(e) if rule == "cumulative" else int(e) - count + 1
    return -1


def time_to_break(metrics: pd.DataFrame, threshold: float = 0.5, count: int = 4) -> pd.DataFrame:
    """Per run and seed, the epoch of breaking under both rules of `break_epoch`."""
    rows = []
    for (kind, name, seed), g in metrics.groupby(["kind", "name", "seed"], sort=False):
        g = g.sort_values("epoch")
        a = g.iloc[0]
        rows.append({"kind": kind, "run": name, "seed": seed,
                     "mechanism": mechanism(kind, a.arm_init, a.arm_breaker, float(a.arm_droprate)),
                     **{f"epoch_{rule}": break_epoch(g.epoch, g.test_acc, rule, threshold, count)
                        for rule in BREAK_RULES}})
    return pd.DataFrame(rows)


def architecture(lines: list[str], note: str, pdf: str, png: str) -> None:
    fig, axes = figure_with_note(1, 1, 6.0, 0.16 * len(lines) + 0.4, note)
    ax = axes[0, 0]
    ax.axis("off")
    ax.text(0, 1, "\n".join(lines), family="monospace", fontsize=5, va="top")
    save(fig, pdf, png)


def architecture_lines(net: dict) -> list[str]:
    """The ConstNet of `net` (depth, widen, pool) as text: its parameter count, then every weighted layer."""
    from relurepro.constnet.models import ConstNet  # torch: only this page needs it

    model = ConstNet(net["depth"], net["widen"], pool=net["pool"])
    lines = [f"ConstNet depth {net['depth']}, widen {net['widen']}: "
             f"{sum(p.numel() for p in model.parameters()):,} parameters", ""]
    return lines + [f"{name}: {type(m).__name__} {tuple(m.weight.shape)}" for name, m in model.named_modules()
                    if hasattr(m, "weight") and m.weight is not None]


BREAK_RULES_TEXT = (
    "epoch_cumulative (the original's rule): the epoch that is the 4th with test accuracy > 50 %, counted without "
    "reset (the original prints this - 1, its 0-based counter); epoch_streak_start: the first epoch of the first 4 "
    "consecutive epochs > 50 %; -1: never")


def draw(fid: str, metrics: pd.DataFrame, note: str, pdf: str, png: str, csv: str, *,
         correlations: pd.DataFrame | None = None, net: dict | None = None) -> None:
    """One figure or table of rule cn_figures, from the collected `metrics` (and `correlations` for weight_corr,
    `net` for architecture): draws it with the run's symmetry-breaking note and writes the numbers it shows."""
    if fid not in COMPUTED_FIGURES:
        raise ValueError(f"unknown constnet figure {fid!r}; choose one of {COMPUTED_FIGURES}")
    note = f"{breaking_note(metrics)}\n{note}"
    constnet, leakynet = metrics[metrics.kind == "constnet"], metrics[metrics.kind == "leakynet"]
    if fid == "acc_curves":
        acc_curves(constnet, note, pdf, png)
        shown = constnet[["name", "seed", "epoch", "train_loss", "train_acc", "test_loss", "test_acc"]]
    elif fid in ("acc_table", "leakynet_table"):
        shown = final_table(constnet if fid == "acc_table" else leakynet)
        title = "ConstNet arms" if fid == "acc_table" else "LeakyNet init strings"
        table_page(shown, f"{title}: test accuracy (best and final epoch)", note, pdf, png)
    elif fid == "symmetry_deviation":
        symmetry(metrics, note, pdf, png)
        shown = metrics[["kind", "name", "seed", "epoch", "symmetry_deviation", "distinct_channels"]]
    elif fid == "weight_corr":
        weight_corr(correlations, note, pdf, png, labels(metrics))
        shown = correlations
    elif fid == "diversity":
        diversity(metrics, note, pdf, png)
        shown = metrics[["kind", "name", "seed", "epoch", "diversity"]]
    elif fid == "time_to_break":
        shown = time_to_break(metrics)
        table_page(shown, "Time to break symmetry", f"{BREAK_RULES_TEXT}\n{note}", pdf, png)
    else:  # architecture
        lines = architecture_lines(net)
        shown = pd.DataFrame({"line": lines})
        architecture(lines, note, pdf, png)
    shown.to_csv(csv, index=False)

