"""Signal propagation at initialisation (figure `sigprop`), a reconstruction: the paper's text was not reachable,
only its summary ("perfect signal propagation and stable gradients" for ConstNet, compared with Fixup,
Delta-Orthogonal and He). The form of the comparison is this pipeline's choice:

one stage of a conv net at constant width C (no strides), a stem conv from the input's channels to C, then L
layers; at every layer l = 0 (stem output) ... L the activation variance (mean square over batch, channels and
pixels: the mean-field q) and the gradient variance (mean square of d<r, x_L>/dx_l for a fixed N(0, 1) cotangent r
at the last layer, so the classifier's init plays no part). Batch norm uses batch statistics (the first training
step's forward pass).

- constnet: the project's ConstNet block x + Conv(ReLU(BN(x))) with the conv 0 and an averaging stem (§2.2);
- leakynet: the project's LeakyNet blocks with identity init ('i', §2.7), an identity stem;
- he: plain x_l = Conv(ReLU(x_{l-1})), weights N(0, 2/fan_in) (He et al. 2015), stem N(0, 1/fan_in);
- fixup: pre-activation residual x + Conv_m(ReLU(...Conv_1(ReLU(x)))) without normalisation, m convs per branch,
  the last 0 and the others He scaled by L^(-1/(2m-2)) (Zhang et al. 2019), scalar biases 0 and multiplier 1;
- delta_orthogonal: plain, every kernel 0 except the centre tap, sqrt(2) times a Haar-orthogonal C x C matrix
  (Xiao et al. 2018; sqrt(2) is the ReLU gain).
The random convs use circular padding, as mean-field analyses of conv nets do: on 8x8 maps zero padding would
lose a sixth of the fan-in at every layer and show up as a depth trend of its own.
"""

from __future__ import annotations

import math

import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F

from relurepro.claims import Claim
from relurepro.constnet.leakynet import LeakyBlock, init_conv
from relurepro.constnet.models import Block

INITS = ("constnet", "leakynet", "he", "fixup", "delta_orthogonal")
COLUMNS = ["init", "depth", "seed", "layer", "width", "batch", "act_var", "grad_var", "distinct_channels"]
CONST_FACTOR = 1e-6  # ConstNet: the stream is the stem output exactly; this is float32 rounding room only
F_LEVEL = 0.01  # one-sided level of the He random-walk test

_SOURCE = "constnet §3.9 signal propagation (the paper's summary; comparison reconstructed); figure sigprop"
SIGPROP_CONSTNET = Claim("cn.sigprop_constnet", "ConstNet has perfect signal propagation and stable gradients: the "
                         "activation and gradient variances are the same at every layer.", _SOURCE, "trend",
                         f"largest |v_l / v_0 - 1| (activations) and |g_l / g_L - 1| (gradients) <= {CONST_FACTOR:g}",
                         "exact: the residual branches are 0 at init, so every layer passes the stem output on "
                         f"unchanged (constnet §2.2); {CONST_FACTOR:g} is float32 rounding room only", (),
                         "holds by construction: the builder zeroes every residual branch, so each layer passes its "
                         "input on unchanged (tests/constnet check the profile)")
SIGPROP_HE = Claim("cn.sigprop_he", "He init keeps the activation variance only on average: per network ln(v_L / "
                   "v_0) drifts as a random walk whose spread over seeds grows with depth, unlike ConstNet's.",
                   _SOURCE, "trend", "Var ln(v_L / v_0) at the largest depth / at the smallest > F quantile",
                   f"one-sided F test at level {F_LEVEL:g} of the ratio of the two variances over seeds (degrees of "
                   "freedom from the seed counts: 16 seeds at quick and paper scale)", ("quick", "paper"),
                   "smoke scale (3 seeds, depths 2 and 4): the F test has no power there")


def delta_orthogonal_(weight: torch.Tensor, gain: float, generator: torch.Generator) -> torch.Tensor:
    """Zero kernel except the centre tap: gain x the first rows/columns of a Haar-orthogonal matrix."""
    cout, cin, kh, kw = weight.shape
    n = max(cout, cin)
    q, r = torch.linalg.qr(torch.randn(n, n, generator=generator, dtype=torch.float64))
    q = q * torch.sign(torch.diagonal(r))  # sign fix: Haar-distributed, not biased by QR's convention
    with torch.no_grad():
        weight.zero_()
        weight[:, :, kh // 2, kw // 2] = (gain * q[:cout, :cin]).to(weight.dtype)
    return weight


def fixup_scale(blocks: int, m: int) -> float:
    """Fixup's rescaling of the non-final branch layers: L^(-1/(2m-2)) for L branches of m layers."""
    if m < 2:
        raise ValueError("a Fixup branch has at least 2 layers")
    return blocks ** (-1.0 / (2 * m - 2))


def _conv(cin: int, cout: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, 1, 1, bias=False, padding_mode="circular")


def _normal_(weight: torch.Tensor, gain: float, generator: torch.Generator) -> None:
    fan_in = weight[0].numel()
    with torch.no_grad():
        weight.copy_(torch.randn(weight.shape, generator=generator) * math.sqrt(gain / fan_in))


class PlainLayer(nn.Module):
    """Conv(ReLU(x)), or Conv(x) for the stem."""

    def __init__(self, cin: int, cout: int, relu: bool):
        super().__init__()
        self.conv, self.relu = _conv(cin, cout), relu

    def forward(self, x):
        return self.conv(F.relu(x) if self.relu else x)


class FixupBlock(nn.Module):
    """x + scale * Conv_m(ReLU(... Conv_1(ReLU(x) + b_1) ...) + b_m) + b_out, no normalisation."""

    def __init__(self, width: int, m: int, blocks: int, generator: torch.Generator):
        super().__init__()
        self.convs = nn.ModuleList(_conv(width, width) for _ in range(m))
        self.biases = nn.Parameter(torch.zeros(m + 1))
        self.scale = nn.Parameter(torch.ones(1))
        for conv in self.convs[:-1]:
            _normal_(conv.weight, 2.0 * fixup_scale(blocks, m) ** 2, generator)
        with torch.no_grad():
            self.convs[-1].weight.zero_()

    def forward(self, x):
        h = x
        for i, conv in enumerate(self.convs):
            h = conv(F.relu(h) + self.biases[i])
        return x + self.scale * h + self.biases[-1]


def build(init: str, depth: int, width: int, in_channels: int, generator: torch.Generator, alpha: float = 0.01,
          fixup_m: int = 2) -> tuple[nn.Module, nn.ModuleList]:
    """(stem, layers) of one network at initialisation."""
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; choose one of {INITS}")
    if init == "constnet":
        stem = nn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
        with torch.no_grad():
            stem.weight.zero_()
            stem.weight[:, :, 1, 1] = 1.0 / in_channels
        layers = nn.ModuleList(Block(width, width, 1, 0.0) for _ in range(depth))
        with torch.no_grad():
            for b in layers:
                b.conv.weight.zero_()
        return stem, layers
    if init == "leakynet":
        stem = nn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
        init_conv(stem.weight, "i", 1, alpha)
        layers = nn.ModuleList(LeakyBlock(width, width, 1, i, alpha) for i in range(depth))
        for b in layers:
            init_conv(b.conv.weight, "i", b.phase, alpha)
        return stem, layers
    stem = PlainLayer(in_channels, width, relu=False)
    _normal_(stem.conv.weight, 1.0, generator)
    if init == "fixup":
        return stem, nn.ModuleList(FixupBlock(width, fixup_m, depth, generator) for _ in range(depth))
    layers = nn.ModuleList(PlainLayer(width, width, relu=True) for _ in range(depth))
    for layer in layers:
        if init == "he":
            _normal_(layer.conv.weight, 2.0, generator)
        else:
            delta_orthogonal_(layer.conv.weight, math.sqrt(2.0), generator)
    return stem, layers


def distinct_channels(x: torch.Tensor) -> int:
    """How many bitwise-distinct channels a (N, C, H, W) batch has."""
    return int(torch.unique(x.transpose(0, 1).flatten(1), dim=0).shape[0])


def measure(stem: nn.Module, layers: nn.ModuleList, x: torch.Tensor, generator: torch.Generator) -> pd.DataFrame:
    """Per layer (0 = stem output): activation and gradient mean squares and the distinct channels."""
    acts = [stem(x)]
    for layer in layers:
        acts[-1].retain_grad()
        acts.append(layer(acts[-1]))
    acts[-1].retain_grad()
    cotangent = torch.randn(acts[-1].shape, generator=generator)
    (acts[-1] * cotangent).sum().backward()
    return pd.DataFrame({"layer": range(len(acts)),
                         "act_var": [a.detach().double().pow(2).mean().item() for a in acts],
                         "grad_var": [a.grad.double().pow(2).mean().item() for a in acts],
                         "distinct_channels": [distinct_channels(a.detach()) for a in acts]})


def inputs(batch: int) -> torch.Tensor:
    """The first `batch` test images of the constnet digits (normalised as the mini nets see them)."""
    from relurepro.constnet.data import digits

    return digits()[1].x[:batch]


def sweep(cfg: dict, x: torch.Tensor, progress=None) -> pd.DataFrame:
    """Every init x depth x seed of a scale's `sigprop` block on the input batch x; one row per layer (COLUMNS)."""
    frames = []
    for init in INITS:
        for depth in cfg["depths"]:
            for seed in range(cfg["seeds"]):
                gen = torch.Generator().manual_seed(seed)
                stem, layers = build(init, depth, cfg["width"], x.shape[1], gen, cfg["alpha"], cfg["fixup_m"])
                stem.train(), layers.train()
                frame = measure(stem, layers, x, gen)
                frames.append(frame.assign(init=init, depth=depth, seed=seed, width=cfg["width"], batch=len(x)))
            if progress:
                progress(f"{init} depth {depth}: {cfg['seeds']} seeds")
    return pd.concat(frames, ignore_index=True)[COLUMNS]


def ratios(table: pd.DataFrame) -> pd.DataFrame:
    """Per network (init, depth, seed): last-layer over first-layer activation and gradient mean squares (the
    gradient's first layer is the last one: it flows backwards) and the largest per-layer deviation from layer 0."""
    rows = []
    for (init, depth, seed), g in table.groupby(["init", "depth", "seed"], sort=False):
        g = g.sort_values("layer")
        act, grad = g.act_var.to_numpy(), g.grad_var.to_numpy()
        rows.append({"init": init, "depth": depth, "seed": seed, "act_ratio": act[-1] / act[0],
                     "grad_ratio": grad[0] / grad[-1], "act_dev": float(abs(act / act[0] - 1).max()),
                     "grad_dev": float(abs(grad / grad[-1] - 1).max()),
                     "distinct_last": int(g.distinct_channels.iloc[-1])})
    return pd.DataFrame(rows)


def claims(table: pd.DataFrame, scale: str) -> list[dict]:
    """ConstNet's perfect propagation (activations and gradients) and He's depth-growing fluctuations."""
    from scipy.stats import f as f_dist

    r = ratios(table)
    rows = []
    const = r[r.init == "constnet"]
    if len(const):
        depths = [int(d) for d in sorted(const.depth.unique())]
        for kind, word, ratio in (("act", "activations", "v_l / v_0"), ("grad", "gradients", "g_l / g_L")):
            dev = const[f"{kind}_dev"].max()
            rows.append(SIGPROP_CONSTNET.check(scale, bool(dev <= CONST_FACTOR),
                                               f"largest |{ratio} - 1| = {dev:.2g} over depths {depths} and "
                                               f"{const.seed.nunique()} seed(s)", "sigprop", word,
                                               rule=f"|{ratio} - 1| <= {CONST_FACTOR:g} at every layer"))
    he = r[r.init == "he"]
    if len(he) and he.depth.nunique() > 1 and he.seed.nunique() > 1:
        lo, hi = he.depth.min(), he.depth.max()
        var_lo = he[he.depth == lo].act_ratio.apply(math.log).var(ddof=1)
        var_hi = he[he.depth == hi].act_ratio.apply(math.log).var(ddof=1)
        n_lo, n_hi = (he.depth == lo).sum(), (he.depth == hi).sum()
        crit = float(f_dist.ppf(1 - F_LEVEL, n_hi - 1, n_lo - 1))
        ratio = var_hi / var_lo if var_lo > 0 else math.inf
        rows.append(SIGPROP_HE.check(scale, bool(ratio > crit),
                                     f"Var ln(v_L / v_0): {var_hi:.3g} (L = {hi}) vs {var_lo:.3g} (L = {lo}), ratio "
                                     f"{ratio:.3g}; mean v_L / v_0 at L = {hi}: "
                                     f"{he[he.depth == hi].act_ratio.mean():.3g}", "sigprop", f"L = {hi} vs {lo}",
                                     rule=f"variance ratio > F({n_hi - 1}, {n_lo - 1}) {1 - F_LEVEL:g} quantile = "
                                     f"{crit:.3g}"))
    return rows


def figure(table: pd.DataFrame, label: str, note: str, pdf: str, png: str) -> None:
    """Top: activation and gradient mean square per layer at the largest depth (seed median, 10-90 % band).
    Bottom: last over first layer vs depth, every seed a dot, the median a line. ConstNet and Fixup are both
    exactly flat; ConstNet is drawn dashed over Fixup."""
    from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter

    from relurepro.plotting import figure_with_note, save

    fig, axes = figure_with_note(2, 2, 3.6, 2.6, note, margins={"hspace": 0.55, "wspace": 0.35})
    deepest = table.depth.max()
    r = ratios(table)
    style = {"constnet": ("C3", "--", 3), "leakynet": ("C1", "-", 2), "he": ("C0", "-", 2), "fixup": ("C2", "-", 1),
             "delta_orthogonal": ("C4", "-", 2)}
    for init in INITS:
        g = table[(table.init == init) & (table.depth == deepest)]
        if not len(g):
            continue
        colour, ls, z = style[init]
        distinct = int(g.distinct_channels.iloc[-1])
        for j, col in enumerate(("act_var", "grad_var")):
            q = g.groupby("layer")[col].quantile([0.1, 0.5, 0.9]).unstack()
            ax = axes[0, j]
            ax.plot(q.index, q[0.5], color=colour, ls=ls, lw=1.2, zorder=z,
                    label=f"{init} ({distinct} distinct channel{'s' if distinct > 1 else ''})")
            ax.fill_between(q.index, q[0.1], q[0.9], color=colour, alpha=0.15, lw=0)
        for j, col in enumerate(("act_ratio", "grad_ratio")):
            ri = r[r.init == init]
            ax = axes[1, j]
            ax.plot(ri.depth, ri[col], ".", ms=2, color=colour, alpha=0.5)
            med = ri.groupby("depth")[col].median()
            ax.plot(med.index, med.values, color=colour, ls=ls, lw=1.2, zorder=z)
    seeds = table.seed.nunique()
    depths = sorted(table.depth.unique())
    for j, word in enumerate(("activation", "gradient")):
        axes[0, j].set(yscale="log", xlabel="layer l (0 = stem output)", ylabel=f"{word} mean square",
                       title=f"{word}s per layer, L = {deepest} (median, 10-90 % of {seeds} seeds)")
        axes[1, j].set(xscale="log", yscale="log", xlabel="depth L",
                       ylabel="v_L / v_0" if j == 0 else "g_0 / g_L",
                       title=f"{word}: last over first layer (dots: seeds, line: median)")
        axes[1, j].xaxis.set_major_locator(FixedLocator(depths))
        axes[1, j].xaxis.set_major_formatter(ScalarFormatter())
        axes[1, j].xaxis.set_minor_locator(NullLocator())
        for ax in axes[:, j]:
            ax.title.set_fontsize(6)
            ax.xaxis.label.set_fontsize(6)
            ax.yaxis.label.set_fontsize(6)
            ax.tick_params(labelsize=5, which="both")
            ax.grid(True, lw=0.3)
    axes[0, 0].legend(fontsize=4.5)
    fig.text(0.5, 1 - 0.08 / fig.get_figheight(), label, ha="center", va="top", fontsize=5, color="darkred")
    save(fig, pdf, png)
