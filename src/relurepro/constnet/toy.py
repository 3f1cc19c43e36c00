"""The toy model of unique features (figure `toy_unique_features`), a reconstruction: the paper's text was not
reachable, only its summary ("a single-hidden-layer fully connected ReLU net; test accuracy falls as the number of
unique features at initialisation falls; a small added noise counteracts it"). Dataset, width, noise levels and
the training recipe are this pipeline's choices, not the paper's.

Init of a width-n hidden layer with k unique features: k rows drawn He-normal N(0, 2/d), row j of the layer is
base row j mod k (k must divide n), plus optional Gaussian noise of std `noise` x the He std on every weight.
Hidden biases start at 0 and the classifier at 0 (as ConstNet's, §2.2): then replicated units receive
identical gradients, so without noise the net keeps exactly k distinct units (a width-k net) in exact arithmetic.
That width-k net's classifier sums n/k copies of each unit, so at a given learning rate its logits move n/k times
faster than a width-n net's: the scales' learning rate is chosen so that the k = 1 net does not blow up.
"""

from __future__ import annotations

import math

import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F

from relurepro.claims import Claim
from relurepro.data import TensorData, batches, load_dataset

COLUMNS = ["data", "width", "k", "noise", "seed", "epochs", "n_test", "train_acc", "test_acc", "distinct_init",
           "distinct_final"]

_SOURCE = "constnet §3.8 toy model (the paper's summary; setup reconstructed); figure toy_unique_features"
_ORIGIN = ("two standard errors of the difference (about 95 %), each side's error the larger of its seed-to-seed "
           "standard error and the binomial sampling error of an accuracy on n_test images, 0.5 / sqrt(n_test x "
           "seeds), so that identical seeds cannot make the margin vanish")
_CHECKED = ("quick", "paper")
_SMOKE = "smoke scale (1 seed, 2 epochs, width 16): the nets are not trained, so no ordering can be read off"
TOY_DIVERSITY = Claim("cn.toy_diversity", "Fewer unique features at initialisation lower the test accuracy of a "
                      "single-hidden-layer ReLU net.", _SOURCE, "trend",
                      "accuracy(k = width) - accuracy(k = smallest) > 2 SE, no noise", _ORIGIN, _CHECKED, _SMOKE)
TOY_NOISE = Claim("cn.toy_noise", "A small added noise counteracts the loss of unique features.", _SOURCE, "trend",
                  "accuracy(k = smallest, noise z) - accuracy(k = smallest, no noise) > 2 SE at every noise z > 0",
                  _ORIGIN, _CHECKED, _SMOKE)


def replicated_weight(in_dim: int, width: int, k: int, noise: float, generator: torch.Generator) -> torch.Tensor:
    """A (width, in_dim) He-normal weight with k distinct rows tiled to fill the width, plus noise x He std."""
    if k < 1 or width % k:
        raise ValueError(f"k = {k} must be a positive divisor of the width {width}")
    std = math.sqrt(2.0 / in_dim)
    base = torch.randn(k, in_dim, generator=generator) * std
    weight = base[torch.arange(width) % k].clone()
    if noise > 0:
        weight += torch.randn(width, in_dim, generator=generator) * (noise * std)
    return weight


def distinct_rows(weight: torch.Tensor) -> int:
    """How many bitwise-distinct rows (units) a weight matrix has."""
    return int(torch.unique(weight, dim=0).shape[0])


class ToyNet(nn.Module):
    """x -> Linear(d, n) -> ReLU -> Linear(n, classes), hidden layer with k unique features, classifier zero."""

    def __init__(self, in_dim: int, width: int, classes: int, k: int, noise: float, generator: torch.Generator):
        super().__init__()
        self.hidden = nn.Linear(in_dim, width)
        self.out = nn.Linear(width, classes)
        with torch.no_grad():
            self.hidden.weight.copy_(replicated_weight(in_dim, width, k, noise, generator))
            self.hidden.bias.zero_()
            self.out.weight.zero_()
            self.out.bias.zero_()

    def forward(self, x):
        return self.out(F.relu(self.hidden(x.flatten(1))))


def load(name: str, root: str = "data") -> tuple[TensorData, TensorData]:
    """Train and test split, flattened and standardised with the train set's pixel mean and std (one scalar each)."""
    train, test = load_dataset(name, "train", root), load_dataset(name, "test", root)
    mean, std = train.x.mean(), train.x.std()
    return tuple(TensorData(((d.x - mean) / std).flatten(1), d.y, d.name, d.split) for d in (train, test))


@torch.no_grad()
def accuracy(net: nn.Module, data: TensorData) -> float:
    return float((net(data.x).argmax(1) == data.y).float().mean())


def train_one(train: TensorData, test: TensorData, width: int, k: int, noise: float, seed: int, epochs: int,
              batch: int, lr: float, momentum: float) -> dict:
    """One net trained by SGD (momentum, constant lr, cross-entropy); its final accuracies and distinct units."""
    gen = torch.Generator().manual_seed(seed)
    classes = int(max(train.y.max(), test.y.max())) + 1
    net = ToyNet(train.x.shape[1], width, classes, k, noise, gen)
    distinct_init = distinct_rows(net.hidden.weight)
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    order = torch.Generator().manual_seed(10_000 + seed)  # the same batch order for every k and noise of a seed
    for _ in range(epochs):
        for x, y in batches(train, batch, shuffle=True, generator=order):
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(net(x), y).backward()
            opt.step()
    return {"width": width, "k": k, "noise": noise, "seed": seed, "epochs": epochs, "n_test": len(test),
            "train_acc": accuracy(net, train), "test_acc": accuracy(net, test), "distinct_init": distinct_init,
            "distinct_final": distinct_rows(torch.cat([net.hidden.weight, net.hidden.bias[:, None]], 1))}


def sweep(cfg: dict, root: str = "data", progress=None) -> pd.DataFrame:
    """Every (seed, k, noise) of a scale's `toy` block; one row each (COLUMNS)."""
    if cfg["width"] not in cfg["ks"] or 0 not in cfg["noise"]:
        raise ValueError("the toy sweep needs k = width (full diversity) and noise 0 (the claims compare with them)")
    bad = [k for k in cfg["ks"] if cfg["width"] % k]
    if bad:
        raise ValueError(f"every k must divide the width {cfg['width']}: {bad} do not")
    train, test = load(cfg["data"], root)
    grid = [(s, k, z) for s in cfg["seeds"] for k in cfg["ks"] for z in cfg["noise"]]
    rows = []
    for i, (seed, k, noise) in enumerate(grid):
        rows.append({"data": cfg["data"], **train_one(train, test, cfg["width"], k, noise, seed, cfg["epochs"],
                                                      cfg["batch"], cfg["lr"], cfg["momentum"])})
        if progress:
            progress(f"{i + 1}/{len(grid)} k={k} noise={noise:g} seed={seed}: test {rows[-1]['test_acc']:.3f}")
    return pd.DataFrame(rows, columns=COLUMNS)


def summary(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over seeds of the test accuracy per (k, noise), plus the distinct units at the end."""
    g = runs.groupby(["k", "noise"])
    out = g.agg(seeds=("seed", "nunique"), test_acc=("test_acc", "mean"), test_std=("test_acc", "std"),
                train_acc=("train_acc", "mean"), distinct_final=("distinct_final", "mean"), n_test=("n_test", "first"))
    return out.reset_index()


def _difference(runs: pd.DataFrame, a: pd.Series, b: pd.Series) -> tuple[float, float]:
    """Mean of a minus mean of b (accuracies in [0, 1]) and the margin the difference must clear: two standard
    errors of the difference, each side's error the larger of its seed-to-seed error and the binomial sampling
    error of an accuracy measured on n_test images (at most 0.5/sqrt(n_test) per run), so that identical seeds
    cannot make the margin vanish."""
    n_test = int(runs.n_test.iloc[0])

    def se(x: pd.Series) -> float:
        seed_se = x.std(ddof=1) / math.sqrt(len(x)) if len(x) > 1 else 0.0
        return max(seed_se, 0.5 / math.sqrt(n_test * len(x)))

    return float(a.mean() - b.mean()), 2.0 * math.sqrt(se(a) ** 2 + se(b) ** 2)


def claims(runs: pd.DataFrame, scale: str) -> list[dict]:
    """The summary's two qualitative statements, each with a two-standard-error margin from the run counts."""
    kmin, kfull = runs.k.min(), runs.width.iloc[0]

    def acc(k, noise):
        return runs[(runs.k == k) & (runs.noise == noise)].sort_values("seed").test_acc

    rows = []
    full, few = acc(kfull, 0.0), acc(kmin, 0.0)
    if len(full) and len(few):
        diff, margin = _difference(runs, full, few)
        rows.append(TOY_DIVERSITY.check(scale, bool(diff > margin),
                                        f"{100 * few.mean():.1f} % vs {100 * full.mean():.1f} % ({len(few)} seeds)",
                                        "toy_unique_features", f"k = {kmin} vs k = width = {kfull}",
                                        rule=f"full - k{kmin} > 2 SE = {100 * margin:.1f} points"))
    levels = sorted(z for z in runs.noise.unique() if z > 0)
    if levels and len(few):
        tests = [(z, acc(kmin, z), *_difference(runs, acc(kmin, z), few)) for z in levels]
        rows.append(TOY_NOISE.check(scale, all(bool(d > m) for *_, d, m in tests),
                                    "; ".join(f"noise {z:g}: {100 * a.mean():.1f} %" for z, a, _, _ in tests)
                                    + f"; none: {100 * few.mean():.1f} %", "toy_unique_features", f"k = {kmin}",
                                    rule="noisy - noiseless > 2 SE (" + ", ".join(f"{100 * m:.1f}" for *_, m in tests)
                                    + " points) at every level"))
    return rows


def figure(runs: pd.DataFrame, label: str, note: str, pdf: str, png: str) -> None:
    """Test accuracy vs unique features (log2 x), one line per noise level, seed-mean with +-1 std band; `label`
    (what kind of figure this is) printed in red over the panel."""
    from matplotlib.ticker import NullLocator, ScalarFormatter

    from relurepro.plotting import figure_with_note, save

    table = summary(runs)
    fig, axes = figure_with_note(1, 1, 5.0, 3.2, note)
    ax = axes[0, 0]
    for noise, g in table.groupby("noise"):
        name = "no noise" if noise == 0 else f"noise {noise:g} x He std"
        line, = ax.plot(g.k, 100 * g.test_acc, marker="o", ms=3, lw=1.3, label=name)
        std = 100 * g.test_std.fillna(0).to_numpy()
        ax.fill_between(g.k, 100 * g.test_acc - std, 100 * g.test_acc + std, color=line.get_color(), alpha=0.15)
    classes = 10
    ax.axhline(100 / classes, color="grey", ls=":", lw=0.8, label="chance")
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted(runs.k.unique()))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_locator(NullLocator())
    width, data, seeds = int(runs.width.iloc[0]), runs.data.iloc[0], runs.seed.nunique()
    ax.set(xlabel=f"unique hidden features at init k (width {width})", ylabel="test accuracy (%)",
           title=f"one-hidden-layer ReLU net on {data}: mean of {seeds} seed(s) ± 1 std, "
                 f"{int(runs.epochs.iloc[0])} epochs")
    ax.title.set_fontsize(8)
    fig.text(0.5, 1 - 0.08 / fig.get_figheight(), label, ha="center", va="top", fontsize=5, color="darkred")
    ax.grid(True, lw=0.3)
    ax.legend(fontsize=6, loc="center right")
    save(fig, pdf, png)

