"""relu_prime training figures (§3, "common plot styles"): the test box and the train curve.

Both read an aggregated training table (aggregate.COLUMNS) and draw one panel per tier present
(faithful float32 / stress k=...), each titled with its tier and its exact-zero count, so a figure always
says which tier drew it and why the faithful tier may show no alpha effect. matplotlib only (the original
used seaborn; its box/line/`hls` styles are redrawn here): no torch, so plotting jobs start fast.
"""

from __future__ import annotations

import colorsys
import textwrap

import numpy as np
import pandas as pd

# Original's columns: what its dropna(how="any") saw (S7).
ORIGINAL_COLUMNS = ["run_id", "epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "relu",
                    "batch_norm"]
BN_COLORS = {False: "#4C72B0", True: "#DD8452"}  # seaborn "deep", the original's default hue colours

# id -> how to draw it (§3.14-3.27). `ylim` is the original's fixed y range, used when the scale asks for
# it (paper); `alphas` the curves the original drew (those present are drawn; all when fewer than 2 are).
FIGURES = {
    "cifar_vgg11_sgd_test": dict(kind="test_box", experiment="cifar_vgg11_sgd", ylim=(0.86, 0.93)),
    "cifar_vgg11_sgd_train_nobn": dict(kind="train_curve", experiment="cifar_vgg11_sgd", bn=False,
                                       alphas=(-1, -0.5, 0, 0.5, 1)),
    "cifar_vgg11_sgd_train_bn": dict(kind="train_curve", experiment="cifar_vgg11_sgd", bn=True,
                                     alphas=(-1, -0.5, 0, 0.5, 1)),
    "cifar_vgg11_adam_test": dict(kind="test_box", experiment="cifar_vgg11_adam", ylim=(0.75, 0.93)),
    "cifar_vgg11_adam_train_nobn": dict(kind="train_curve", experiment="cifar_vgg11_adam", bn=False,
                                        alphas=(0, 2, 5, 10)),
    "cifar_resnet18_sgd_test": dict(kind="test_box", experiment="cifar_resnet18_sgd", ylim=(0.86, 0.93)),
    "cifar_resnet18_sgd_train_nobn": dict(kind="train_curve", experiment="cifar_resnet18_sgd", bn=False,
                                          alphas=(0, 0.1, 0.2)),
    "cifar_resnet18_sgd_train_bn": dict(kind="train_curve", experiment="cifar_resnet18_sgd", bn=True,
                                        alphas=tuple(round(0.1 * i, 1) for i in range(11)), legend_cols=2),
    "svhn_vgg11_adam_test": dict(kind="test_box", experiment="svhn_vgg11_adam", ylim=(0.91, 0.98)),
    "svhn_vgg11_adam_train_nobn": dict(kind="train_curve", experiment="svhn_vgg11_adam", bn=False,
                                       alphas=(0, 0.5, 1, 10)),
    "svhn_vgg11_adam_train_bn": dict(kind="train_curve", experiment="svhn_vgg11_adam", bn=True,
                                     alphas=(0, 0.5, 1, 10), ylim=(0, 0.17)),
    "mnist_sgd_test": dict(kind="test_box", experiment="mnist_sgd", ylim=(0.97, 0.992), aspect=6),
    "mnist_sgd_train_nobn": dict(kind="train_curve", experiment="mnist_sgd", bn=False, alphas=(-10, 0, 0.5, 1, 10),
                                 ylabel="train_loss"),
    # Box x = dropout, hue = relu; the original drew -1.1 < relu < 1.1 and left out p = 0.9 (the collapse).
    "mnist_dropout": dict(kind="test_box", experiment="mnist_dropout", x="dropout", hue="relu",
                          xlabel="Dropout probability", ylabel="test_accuracy", relu_range=(-1.1, 1.1),
                          drop_x=(0.9,)),
}


def _pyplot():
    """Headless pyplot, imported on first use: the workflow imports this module (FIGURES) to plan, which must
    stay fast."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def hls_palette(n: int) -> list[tuple[float, float, float]]:
    """seaborn's hls_palette(n) (h=.01, l=.6, s=.65): the original's train-curve colours."""
    hues = (np.linspace(0, 1, n + 1)[:-1] + 0.01) % 1
    return [colorsys.hls_to_rgb(h, 0.6, 0.65) for h in hues]


def _bools(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(batch_norm=df["batch_norm"].astype(str) == "True",
                     diverged=df["diverged"].astype(str) == "True")


def _tier_order(df: pd.DataFrame) -> list[str]:
    """Stress tiers first (the ones that show the effect at CPU scale), then faithful."""
    return sorted(df["tier"].unique(), key=lambda t: (t == "faithful", t))


def _tier_title(df: pd.DataFrame, tier: str) -> str:
    zeros = df["exact_zeros"].sum()
    calls = df["relu_inputs"].sum()
    what = "faithful float32" if tier == "faithful" else f"stress tier {tier[len('stress '):]}"
    return f"{what}: {int(zeros):,} exact zeros in {calls:.3g} ReLU calls"


def _num(v: float) -> str:
    return f"{v:g}"


def _wrap(lines: list[str], width: int) -> str:
    return "\n".join(textwrap.fill(line, width) for line in lines if line)


def _layout(n_panels: int, panel_w: float, panel_h: float, note: str):
    """Figure with n panels side by side and room under them for the note (scale, tier, deviations)."""
    note_h = 0.085 * (note.count("\n") + 1) + 0.05
    height = panel_h + note_h + 0.5
    # Shared y: the tiers' panels compare at a glance (faithful flat, stress spread).
    fig, axes = _pyplot().subplots(1, n_panels, figsize=(panel_w * n_panels, height), squeeze=False, sharey=True)
    fig.subplots_adjust(bottom=(note_h + 0.45) / height, top=1 - 0.25 / height, wspace=0.15)
    fig.text(0.01, 0.01, note, ha="left", va="bottom", fontsize=4.5, family="monospace")
    return fig, axes[0]


def _save(fig, pdf: str, png: str) -> None:
    fig.savefig(pdf)
    fig.savefig(png, dpi=200)
    _pyplot().close(fig)


def _quirk_filter(df: pd.DataFrame, metric: str, paper_quirks: bool) -> pd.DataFrame:
    if paper_quirks:
        # S7 as the original: any NaN in a row drops it. The original's groups vanished through NaN
        # row-number columns of its concatenated CSVs; this pipeline writes none, so only NaN metrics go.
        return df.dropna(how="any", subset=ORIGINAL_COLUMNS)
    return df.dropna(subset=[metric])


def _quirk_text(paper_quirks: bool) -> str:
    if paper_quirks:
        return ("paper_quirks on: dropna(how='any') over the original's columns (S7; the original's hidden groups "
                "came from NaN row-number columns this pipeline does not write)")
    return "paper_quirks off: only NaN metrics dropped; diverged runs counted (red)"


def _ylim_text(fixed: bool, spec: dict, default=None) -> str:
    paper = spec.get("ylim", default)
    if fixed and paper is not None:
        return "paper y limits"
    return f"y limits fitted to the data (paper: {paper})" if paper is not None else "y limits fitted to the data"


def test_box(table: pd.DataFrame, figure: str, note: str, pdf: str, png: str, *, paper_quirks: bool = False,
             fixed_ylim: bool = False) -> dict:
    """Box plot of last-epoch test accuracy (spec "test box") with each run as a dot; returns what was drawn.

    x = ReLU'(0), hue = batch norm (mnist_dropout: x = dropout, hue = ReLU'(0)); one panel per tier.
    """
    spec = FIGURES[figure]
    x, hue = spec.get("x", "relu"), spec.get("hue", "batch_norm")
    df = _bools(table[table["experiment"] == spec["experiment"]])
    if df.empty:
        raise ValueError(f"{figure}: no rows of experiment {spec['experiment']}")
    if "relu_range" in spec:
        lo, hi = spec["relu_range"]
        df = df[(df["relu"] > lo) & (df["relu"] < hi)]
    last_all = df[df["epoch"] == df["epochs"]]
    dropped = []
    if "drop_x" in spec:
        gone = last_all[last_all[x].isin(spec["drop_x"])]
        if len(gone):
            dropped.append(f"not drawn, as the original: {x} = {', '.join(map(_num, spec['drop_x']))} (mean test "
                           f"accuracy {gone['test_accuracy'].mean():.3f} over {len(gone)} runs)")
        last_all = last_all[~last_all[x].isin(spec["drop_x"])]
    tiers = _tier_order(df)
    # The original's aspect (6 for MNIST's 38 alphas), narrowed when a scale draws only a few x values.
    aspect = min(spec.get("aspect", 2), max(2, last_all[x].nunique() / 6))
    text = _wrap([f"{figure}: test accuracy after the last epoch ({int(df['epochs'].max())}), each dot one run; "
                  f"{_ylim_text(fixed_ylim, spec)}", _quirk_text(paper_quirks), *dropped, note],
                 int(38 * aspect * len(tiers) / 2 + 30))
    fig, axes = _layout(len(tiers), 2.5 * aspect, 2.5, text)
    drawn = {}
    for ax, tier in zip(axes, tiers):
        everything = last_all[last_all["tier"] == tier]
        last = _quirk_filter(everything, "test_accuracy", paper_quirks)
        xs = sorted(everything[x].unique())
        hues = sorted(everything[hue].unique())
        colors = BN_COLORS if hue == "batch_norm" else dict(zip(hues, hls_palette(len(hues))))
        width = 0.8 / len(hues)
        for j, h in enumerate(hues):
            offset = -0.4 + width * (j + 0.5)
            for i, v in enumerate(xs):
                group = everything[(everything[x] == v) & (everything[hue] == h)]
                values = last[(last[x] == v) & (last[hue] == h)]["test_accuracy"].to_numpy()
                if len(values):
                    ax.boxplot([values], positions=[i + offset], widths=width * 0.85, patch_artist=True,
                               manage_ticks=False, showfliers=False,
                               boxprops=dict(facecolor=colors[h], alpha=0.6, linewidth=0.6),
                               medianprops=dict(color="0.2", lw=0.8), whiskerprops=dict(lw=0.6),
                               capprops=dict(lw=0.6))
                    ax.scatter(np.full(len(values), i + offset), values, s=6, color=colors[h], edgecolors="0.2",
                               linewidths=0.4, zorder=3)
                div = int(group["diverged"].sum())
                drawn[(tier, v, h)] = dict(runs=len(group), diverged=div,
                                           mean=float(group["test_accuracy"].mean()) if len(group) else np.nan)
                if div:
                    ax.text(i + offset, 0.02, f"{div}/{len(group)}\ndiv.", transform=ax.get_xaxis_transform(),
                            ha="center", va="bottom", fontsize=4.5, color="#B22222")
        ax.set_xticks(range(len(xs)), [_num(v) for v in xs], fontsize=6)
        ax.tick_params(axis="y", labelsize=6)
        ax.set_xlabel(spec.get("xlabel", "ReLU'(0)"), fontsize=7)
        ax.set_title(_tier_title(df[df["tier"] == tier], tier), fontsize=6)
        handles = [_pyplot().Rectangle((0, 0), 1, 1, facecolor=colors[h], edgecolor="0.2", lw=0.6) for h in hues]
        ax.legend(handles, [str(h) if hue == "batch_norm" else _num(h) for h in hues], fontsize=5, title_fontsize=6,
                  title="Batch norm" if hue == "batch_norm" else "ReLU'(0)", loc="best")
    axes[0].set_ylabel(spec.get("ylabel", "Test accuracy"), fontsize=7)
    if fixed_ylim and "ylim" in spec:
        axes[0].set_ylim(*spec["ylim"])
    _save(fig, pdf, png)
    return drawn


def train_curve(table: pd.DataFrame, figure: str, note: str, pdf: str, png: str, *, paper_quirks: bool = False,
                fixed_ylim: bool = False) -> dict:
    """Train loss by epoch, mean +- 1 sd over runs, one line per ReLU'(0) (spec "train curve"), for one
    batch-norm setting; one panel per tier. Returns (tier, alpha) -> last-epoch mean train loss, diverged runs."""
    spec = FIGURES[figure]
    df = _bools(table[(table["experiment"] == spec["experiment"])])
    df = df[df["batch_norm"] == spec["bn"]]
    if df.empty:
        raise ValueError(f"{figure}: no rows of experiment {spec['experiment']} with batch_norm={spec['bn']}")
    tiers = _tier_order(df)
    shown = {}
    for tier in tiers:
        present = sorted(df[df["tier"] == tier]["relu"].unique())
        chosen = [a for a in present if any(np.isclose(a, s) for s in spec["alphas"])]
        shown[tier] = chosen if len(chosen) >= 2 else present
    all_shown = sorted({a for v in shown.values() for a in v})
    missing = [s for s in spec["alphas"] if not any(np.isclose(s, a) for a in all_shown)]
    text = _wrap([f"{figure}: batch norm {spec['bn']}; ReLU'(0) drawn {', '.join(map(_num, all_shown))}"
                  + (f" (paper also {', '.join(map(_num, missing))}: not in this scale's grid)" if missing else "")
                  + f"; {_ylim_text(fixed_ylim, spec, (0, 1))}", _quirk_text(paper_quirks), note],
                 int(62 * len(tiers)))
    fig, axes = _layout(len(tiers), 3.4, 2.0, text)
    fig.subplots_adjust(right=1 - 0.8 / (3.4 * len(tiers)), wspace=0.45)  # room for the outside legends
    drawn = {}
    for ax, tier in zip(axes, tiers):
        t = df[df["tier"] == tier]
        kept = _quirk_filter(t, "train_loss", paper_quirks)
        for color, a in zip(hls_palette(len(shown[tier])), shown[tier]):
            runs = t[t["relu"] == a]
            div = int(runs.groupby("run_id")["diverged"].any().sum())
            stats = kept[kept["relu"] == a].groupby("epoch")["train_loss"].agg(["mean", "std"]).reindex(
                sorted(runs["epoch"].unique()))
            sd = stats["std"].fillna(0)
            label = _num(a) + (f" ({div}/{runs['run_id'].nunique()} div.)" if div else "")
            ax.plot(stats.index, stats["mean"], color=color, lw=1, label=label)
            ax.fill_between(stats.index, stats["mean"] - sd, stats["mean"] + sd, color=color, alpha=0.2, lw=0)
            drawn[(tier, a)] = dict(last_mean=float(stats["mean"].iloc[-1]), diverged=div)
        ax.set_xlabel("epoch", fontsize=7)
        ax.tick_params(labelsize=6)
        ax.set_title(_tier_title(t, tier), fontsize=6)
        ax.legend(title="ReLU'(0)", fontsize=5, title_fontsize=6, ncol=spec.get("legend_cols", 1),
                  loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)  # outside, upper right
    axes[0].set_ylabel(spec.get("ylabel", "Train loss"), fontsize=7)
    if fixed_ylim:
        axes[0].set_ylim(*spec.get("ylim", (0, 1)))
    else:
        axes[0].set_ylim(bottom=0)
    _save(fig, pdf, png)
    return drawn


def draw(table: pd.DataFrame, figure: str, note: str, pdf: str, png: str, **kw) -> dict:
    """Draw a figure by id with the function of its kind."""
    kind = FIGURES[figure]["kind"]
    return {"test_box": test_box, "train_curve": train_curve}[kind](table, figure, note, pdf, png, **kw)


def stats_table(table: pd.DataFrame, note: str, pdf: str, png: str) -> None:
    """The Section-3 statistics table (relurepro.relu_prime.volume_stats.summarize) rendered as a figure page."""
    plt = _pyplot()
    shown = table.copy()
    for col in shown.columns[4:]:
        shown[col] = shown[col].map(lambda v: f"{v:.3g}")
    fig, ax = plt.subplots(figsize=(11, 0.4 * len(shown) + 1.2))
    ax.axis("off")
    ax.table(cellText=shown.values, colLabels=[c.replace("_", " ") for c in shown.columns], loc="center",
             cellLoc="center").auto_set_font_size(False)
    ax.set_title("Gradient differences ReLU'(0)=1 vs 0 (and the 0-vs-0 control), first layer, every minibatch",
                 fontsize=9)
    fig.text(0.01, 0.01, note, fontsize=6, wrap=True)
    for path in (pdf, png):
        fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)
