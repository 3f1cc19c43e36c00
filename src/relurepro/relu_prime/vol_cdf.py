"""The relu_prime ``vol_*`` figures: first-bifurcation CDFs at initialisation (§3.7-3.13).

Each figure compares two precisions of one (net, BN, dataset) cell. For batch i (0-based) of the walk,
cdf(i) = fraction of runs whose first bifurcation came at batch <= i (relu_prime §2.6: div(i)); a run that never
bifurcated walked all `max_batches` batches, so the CDF is known up to the last batch.
"""

from __future__ import annotations

import textwrap
from itertools import accumulate
from pathlib import Path

import pandas as pd

from relurepro.pipeline.packs import Pack, cell_packs as cut_cells
from relurepro.relu_prime.models import BN_ARITHS, NetSpec

FIGURES = ("vol_cifar_vgg11_nobn", "vol_cifar_vgg11_bn", "vol_cifar_resnet18_nobn", "vol_cifar_resnet18_bn",
           "vol_svhn_vgg11_nobn", "vol_mnist_nobn", "vol_mnist_bn")
TITLES = {
    "vol_cifar_vgg11_nobn": "CIFAR-VGG11",
    "vol_cifar_vgg11_bn": "CIFAR-VGG11-BatchNorm",
    "vol_cifar_resnet18_nobn": "CIFAR-ResNet18",
    "vol_cifar_resnet18_bn": "CIFAR-ResNet18-Batchnorm",
    "vol_svhn_vgg11_nobn": "SVHN-VGG11",
    "vol_mnist_nobn": "MNIST",
    "vol_mnist_bn": "MNIST-BatchNorm",
}
# relu_prime S22: the original titled the no-BN SVHN figure "...-BatchNorm"; kept only under paper_quirks.
QUIRK_TITLES = {"vol_svhn_vgg11_nobn": "SVHN-VGG11-BatchNorm"}
# A cell's run CSV, from the fields of `cells`.
CELL_CSV = ("results/relu_prime/volume_cnn/{dataset}-{split}-{samples}/protocol~{protocol}/net~{net}/bn~{bn}/"
            "batch~{batch}/max~{max_batches}/bits~{bits}/detector~{detector}/runs~{runs}/runs.csv")
COLORS = {16: "#ff7f0e", 32: "#1f77b4", 64: "#2ca02c"}  # matplotlib's tab10, as the original seaborn plots

# The aggregated CSV (results/relu_prime/vol_cdf.csv): one row per (figure, bits, batch_idx).
COLUMNS = {
    "figure": "figure id (vol_*)",
    "net": "network tag: vgg11-w<width_mult>, resnet18-w<width_mult>-maxpool, mlp-<variant>-<L>x<N>",
    "dataset": "dataset:split:samples walked (embedded stand-ins are named as such)",
    "bn": "1 with batch norm, 0 without",
    "bn_arith": "batch norm's order of operations: native (the device's kernel), gpu_order, or none without BN",
    "bits": "precision: 16, 32 or 64",
    "batch_size": "samples per batch",
    "batch_idx": "0-based batch number i of the walk",
    "samples": "samples seen after batch i: (i + 1) * batch_size (a pass's last batch may be shorter)",
    "cdf": "fraction of runs bifurcated at a batch <= i",
    "bifurcated": "runs bifurcated at a batch <= i",
    "zero_cdf": "fraction of runs with an exact zero at a ReLU input at a batch <= i (necessary for S01; >= cdf)",
    "runs": "Monte-Carlo runs (seeds 0 .. runs-1)",
    "detector": "exact (zero screen + gradient pair) or pair (the pair on every batch); both decide S01 exactly",
}


def net_spec(fig: dict, vol: dict) -> NetSpec:
    """The network of one figure entry of the scale config."""
    shape = fig.get("mlp", {})
    return NetSpec(fig["net"], bool(fig["bn"]), float(fig.get("width_mult", 1.0)),
                   maxpool_stem=vol["resnet_maxpool_stem"], mlp_variant=shape.get("variant", "no_first_relu"),
                   mlp_layers=shape.get("layers", 3), mlp_neurons=shape.get("neurons", 256),
                   bn_arith=vol["bn_arith"] if fig["bn"] else "native")


BN_FIELDS = ("0", *BN_ARITHS)  # a cell's bn path field: 0 without batch norm, else batch norm's order of operations


def bn_field(net: NetSpec) -> str:
    """A cell's ``bn`` path field (one of BN_FIELDS): changing bn_arith re-runs only the cells with batch norm."""
    return net.bn_arith if net.batch_norm else "0"


def net_of(tag: str, bn: str) -> NetSpec:
    """The network of a cell's path fields `net` and `bn` (the inverse of `net_spec(...).tag()` and `bn_field`)."""
    return NetSpec.from_tag(tag, batch_norm=bn != "0", bn_arith="native" if bn == "0" else bn)


def cells(vol: dict) -> list[dict]:
    """Every Monte-Carlo cell of the vol_* figures (one per figure and precision), as path fields."""
    out = []
    for figure in FIGURES:
        fig = vol["figures"][figure]
        net = net_spec(fig, vol)
        for bits in fig["bits"]:
            if str(bits) not in fig["runs"]:
                raise ValueError(f"vol_cdf figure {figure}: no run count for {bits} bit in runs {fig['runs']}")
            out.append({"figure": figure, "dataset": fig["dataset"], "split": fig["split"],
                        "samples": fig["samples"], "protocol": fig["protocol"], "net": net.tag(),
                        "bn": bn_field(net), "batch": fig["batch_size"], "max_batches": fig["max_batches"],
                        "bits": bits, "detector": vol["detector"], "runs": fig["runs"][str(bits)]})
    return out


def cell_packs(cell_list: list[dict], per_job: int) -> list[Pack]:
    """The cells (positions in `cell_list`) in packs of at most `per_job` that walk one dataset, so that a pack
    loads it once; none when `per_job` is 1 (a job per cell)."""
    return cut_cells(cell_list, per_job, group=lambda c: c["dataset"], what="relu_prime vol_cdf.cells_per_job")


def cdf_rows(runs_csv: str | Path, max_batches: int, runs: int | None = None) -> tuple[list[int], list[int], int]:
    """Runs bifurcated by each batch 0..max_batches-1, runs with an exact zero by each batch, and the number of
    runs; fails naming the file when a run row is inconsistent with the walk (an event beyond the window, or a
    run that stopped before its gradients differed or the window ended)."""
    from relurepro.relu_prime.volume import read_runs  # here: the workflow imports this module to plan, without torch

    rows = read_runs(runs_csv, runs=runs)
    hits, zeros = [0] * max_batches, [0] * max_batches
    for r in rows:
        if r.batches_seen != (r.first_batch + 1 if r.bifurcated else max_batches) or r.batches_seen > max_batches:
            raise ValueError(f"{runs_csv}: run {r.run} is inconsistent with a {max_batches}-batch walk: {r}")
        if r.bifurcated:
            hits[r.first_batch] += 1
        if r.first_zero >= 0:
            zeros[r.first_zero] += 1
    return list(accumulate(hits)), list(accumulate(zeros)), len(rows)


def aggregate(cell_list: list[dict], cell_csvs: list[str | Path]) -> pd.DataFrame:
    """The CDF table of every cell (cells as returned by `cells`, CSVs in the same order)."""
    frames = []
    for cell, path in zip(cell_list, cell_csvs, strict=True):
        hits, zeros, runs = cdf_rows(path, cell["max_batches"], cell["runs"])
        idx = range(cell["max_batches"])
        frames.append(pd.DataFrame({
            "figure": cell["figure"], "net": cell["net"],
            "dataset": f'{cell["dataset"]}:{cell["split"]}:{cell["samples"]}', "bn": int(cell["bn"] != "0"),
            "bn_arith": "none" if cell["bn"] == "0" else cell["bn"],
            "bits": cell["bits"], "batch_size": cell["batch"], "batch_idx": list(idx),
            "samples": [(i + 1) * cell["batch"] for i in idx], "cdf": [h / runs for h in hits],
            "bifurcated": hits, "zero_cdf": [z / runs for z in zeros], "runs": runs, "detector": cell["detector"]}))
    return pd.concat(frames, ignore_index=True)[list(COLUMNS)]


def validate_aggregate(df: pd.DataFrame, path: str = "vol_cdf.csv") -> None:
    """Fail, naming the file and its lines, when an aggregated table does not follow COLUMNS (relurepro.schemas)."""
    import pandera.pandas as pa

    from relurepro import schemas

    share = pa.Check.in_range(0, 1)
    schema = pa.DataFrameSchema({
        "figure": pa.Column(str, pa.Check.isin(FIGURES)), "net": pa.Column(str), "dataset": pa.Column(str),
        "bn": pa.Column(int, pa.Check.isin([0, 1])), "bn_arith": pa.Column(str, pa.Check.isin(["none", *BN_ARITHS])),
        "bits": pa.Column(int, pa.Check.isin([16, 32, 64])), "batch_size": pa.Column(int, pa.Check.ge(1)),
        "batch_idx": pa.Column(int, pa.Check.ge(0)), "samples": pa.Column(int, pa.Check.ge(1)),
        "cdf": pa.Column(float, share, coerce=True), "bifurcated": pa.Column(int, pa.Check.ge(0)),
        "zero_cdf": pa.Column(float, share, coerce=True), "runs": pa.Column(int, pa.Check.ge(1)),
        "detector": pa.Column(str, pa.Check.isin(["exact", "pair"])),
    }, strict=True, ordered=True, unique=["figure", "bits", "batch_idx"], checks=[
        pa.Check(lambda d: (d["bn"] == 0) == (d["bn_arith"] == "none"), error="bn_arith is none exactly without bn"),
        pa.Check(lambda d: d["samples"] == (d["batch_idx"] + 1) * d["batch_size"],
                 error="samples = (batch_idx + 1) * batch_size"),
        pa.Check(lambda d: d["zero_cdf"] >= d["cdf"], error="zero_cdf >= cdf (a gradient difference needs a zero)"),
        pa.Check(lambda d: d.groupby(["figure", "bits"])["cdf"].diff().fillna(0) >= 0, error="a CDF decreases"),
    ])
    schemas.check(df, schema, path)


def read_aggregate(path: str | Path) -> pd.DataFrame:
    """vol_cdf.csv as rule rp_vol_cdf_table wrote it, checked (`validate_aggregate`)."""
    from relurepro import schemas

    return schemas.read_checked(path, validate_aggregate)


def figure_checks(df: pd.DataFrame) -> pd.DataFrame:
    """One row per figure with the numbers the paper's claims are about (for claims.csv): the lower and higher
    precision's CDF after the first batch, after 10 batches and at the window's end, and the smallest gap
    cdf(lower bits) - cdf(higher bits) over the window (>= 0 when the lower precision is never behind)."""
    rows = []
    for figure, g in df.groupby("figure", sort=False):
        low, high = sorted(g["bits"].unique())
        curve = {b: g[g["bits"] == b].sort_values("batch_idx").reset_index(drop=True) for b in (low, high)}
        row = {"figure": figure, "bn": int(g["bn"].iloc[0]), "low_bits": int(low), "high_bits": int(high),
               "samples_end": int(curve[low]["samples"].iloc[-1])}
        for name, b in (("low", low), ("high", high)):
            c = curve[b]["cdf"]
            row.update({f"{name}_runs": int(curve[b]["runs"].iloc[0]), f"{name}_first": c.iloc[0],
                        f"{name}_10": c.iloc[min(9, len(c) - 1)], f"{name}_end": c.iloc[-1]})
        row["min_gap"] = float((curve[low]["cdf"] - curve[high]["cdf"]).min())
        rows.append(row)
    return pd.DataFrame(rows)


def title(figure: str, paper_quirks: bool) -> str:
    return QUIRK_TITLES.get(figure, TITLES[figure]) if paper_quirks else TITLES[figure]


def summary(df: pd.DataFrame) -> str:
    """One line per precision: runs, CDF after the first batch, after 10 batches and at the window's end."""
    parts = []
    for bits, g in df.groupby("bits", sort=False):
        g = g.sort_values("batch_idx")
        at10 = g["cdf"].iloc[min(9, len(g) - 1)]
        parts.append(f"{bits} b: {g['runs'].iloc[0]} runs, CDF {g['cdf'].iloc[0]:.2f} after 1 batch, "
                     f"{at10:.2f} after {min(10, len(g))}, {g['cdf'].iloc[-1]:.2f} at {g['samples'].iloc[-1]:,}")
    return "; ".join(parts)


def plot(df: pd.DataFrame, figure: str, note: str, pdf: str | Path, png: str | Path | None = None,
         paper_quirks: bool = False) -> None:
    """The vol CDF style: 2.55 x 1.5 in axes, one line + fill per precision, legend "Precision".

    x is the number of samples seen, (i + 1) * batch size; under paper_quirks i * batch size as the original
    (the first batch drawn at 0). The note (scale, deviations, measured values) is printed under the axes.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = df[df["figure"] == figure]
    if df.empty:
        raise ValueError(f"no rows for figure {figure}")
    mode = "paper_quirks on (original title and x = i * batch size)" if paper_quirks else "paper_quirks off"
    first = df.iloc[0]
    text = (f"{note}. Net {first['net']}, batch norm {first['bn_arith']}, data {first['dataset']}. {summary(df)}. "
            f"Detector: {first['detector']}; {mode}.")
    lines = textwrap.wrap(text, 95)
    fig = plt.figure(figsize=(3.4, 1.5 + 0.5 + 0.075 * len(lines)))
    top = 1.5 + 0.5 + 0.075 * len(lines)
    ax = fig.add_axes([0.62 / 3.4, (0.45 + 0.075 * len(lines) + 0.1) / top, 2.55 / 3.4, 1.5 / top * 0.78])
    # Precisions in descending order: "32 b" above "16 b" in the legend, as the original.
    for bits in sorted(df["bits"].unique(), reverse=True):
        g = df[df["bits"] == bits].sort_values("batch_idx")
        x, y = list(g["samples"] - (g["batch_size"] if paper_quirks else 0)), list(g["cdf"])
        if not paper_quirks:  # nothing seen, nothing bifurcated: the curve starts at (0, 0)
            x, y = [0, *x], [0.0, *y]
        ax.plot(x, y, color=COLORS[int(bits)], lw=1.0, label=f"{bits} b")
        ax.fill_between(x, 0, y, color=COLORS[int(bits)], alpha=0.25, lw=0)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(0, None)
    ax.set_xlabel("sample size", fontsize=7)
    ax.set_ylabel("P(θ ∈ S$_{01}$)", fontsize=7)
    ax.set_title(title(figure, paper_quirks), fontsize=8)
    ax.tick_params(labelsize=6)
    legend = ax.legend(title="Precision", fontsize=6, title_fontsize=6, loc="best", frameon=True)
    for handle in legend.legend_handles:
        handle.set_linewidth(3.0)
    fig.text(0.02, 0.02, "\n".join(lines), fontsize=4.2, va="bottom", ha="left", family="monospace")
    fig.savefig(pdf)
    if png:
        fig.savefig(png, dpi=200)
    plt.close(fig)
