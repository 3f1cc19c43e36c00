"""uniform_accuracy figures (§3), drawn with matplotlib from aggregated CSVs and stored plot values.

Every figure prints its note (scale and deviations) under the panels.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from relurepro.plotting import figure_with_note as _figure  # noqa: E402
from relurepro.plotting import save  # noqa: E402
from relurepro.uniform_accuracy.aggregate import curves, lower_bound, power_fit  # noqa: E402

COLORS = {"L2": "#1f77b4", "L1": "#2ca02c", "Linfinity": "#d62728"}


def minmax(table: pd.DataFrame, d: int, note: str, pdf: str, png: str) -> None:
    """Errors vs samples (log-log): min-max solid, min-avg dotted, their power fits thin dotted (slope in the
    legend), the reference rate (1/m)^(1/p+1/d) dash-dot."""
    fig, axes = _figure(1, 1, 9.0, 4.2, note)
    ax = axes[0, 0]
    lines = curves(table, d)
    first = next(iter(lines.values()))
    for metric in ("L2", "L1", "Linfinity"):
        color = COLORS[metric]
        for reduction, style in (("max", "-"), ("avg", ":")):
            c = lines[(metric, reduction)]
            ax.plot(c.m, c.error, style, marker="o", ms=3, color=color, label=f"{metric}_{reduction}")
            if len(c) >= 2:
                C, slope = power_fit(c.m, c.error)
                ax.plot(c.m, C * c.m.astype(float) ** slope, ":", lw=0.7, color=color,
                        label=rf"{metric}_{reduction} fit: $y = {C:.3f}\,x^{{{slope:.2f}}}$")
        ms = np.asarray(sorted(first.m), dtype=float)
        ax.plot(ms, lower_bound(ms, d, metric), "-.", lw=0.9, color=color, label=f"lower_bound_{metric}_max")
    ax.set(xscale="log", yscale="log", xlabel="samples", ylabel="error")
    ax.grid(True, which="both", lw=0.3, alpha=0.5)
    ax.legend(fontsize=5.5, ncol=2, loc="center left", bbox_to_anchor=(1.02, 0.5))
    ax.set_title(f"d = {d}: minimum over >={int(first.algorithms.min())} algorithms (avg. over "
                 f"{int(first.seeds.min())} seeds) of max./avg. error over {int(first.teachers.min())} targets",
                 fontsize=7)
    fig.subplots_adjust(left=0.08, right=0.55)
    save(fig, pdf, png)


def summary_overview(tables: dict[tuple[int, int, str], pd.DataFrame], note: str, pdf: str, png: str) -> None:
    """Heat maps of the L-infinity summary tables at each dimension's largest m (log colour scale)."""
    picks = [(d, max(m for dd, m, _ in tables if dd == d)) for d in sorted({d for d, _, _ in tables})]
    fig, axes = _figure(1, len(picks), 5.0, 3.6, note)
    for ax, (d, m) in zip(axes[0], picks):
        t = tables[(d, m, "Linfinity")]
        values = np.log10(t.to_numpy(dtype=float))
        ax.imshow(values, aspect="auto", cmap="viridis")
        ax.set_xticks(range(t.shape[1]), t.columns, fontsize=4.5, rotation=30, ha="right")
        ax.set_yticks(range(t.shape[0]), t.index, fontsize=4.5)
        for (i, j), v in np.ndenumerate(t.to_numpy(dtype=float)):
            ax.text(j, i, f"{v:.1e}", ha="center", va="center", fontsize=3.5, color="white")
        ax.set_title(f"L-infinity, d = {d}, m = {m}: algorithm x teacher (seed mean)", fontsize=6)
    fig.subplots_adjust(left=0.1, right=0.98, wspace=0.5)
    save(fig, pdf, png)


def best_models(pages: list[dict], note: str, pdf: str, png: str) -> None:
    """One page per (d, m, metric): target and winning student per seed, samples as markers (d = 1). The PNG
    shows the first page."""
    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(pdf) as out:
        for n, page in enumerate(pages):
            seeds = page["seeds"]
            fig, axes = _figure(1, len(seeds), 3.2, 2.6, note)
            for ax, s in zip(axes[0], seeds):
                ax.plot(page["x"], page["target"], color="#ff7f0e", lw=1, label="target")
                ax.plot(page["x"], page["student"][s], color="#1f77b4", lw=0.8, label="model")
                if page["samples"] is not None:
                    xs, ys = page["samples"][s]
                    ax.plot(xs, ys, ".", ms=2, color="#ff7f0e", label="samples")
                ax.set_title(f"{page['metric']} winner, d = {page['d']}, m = {page['m']} | seed {s}\n"
                             f"{page['algorithm']}, teacher {page['teacher']}", fontsize=5.5)
                ax.tick_params(labelsize=5)
                ax.set_xlabel("x" if page["d"] == 1 else "t (x = (t, t, t))", fontsize=5)
            axes[0, 0].legend(fontsize=5)
            out.savefig(fig)
            if n == 0:
                fig.savefig(png, dpi=150)
            plt.close(fig)


def teachers(curves_by_d: dict[int, tuple[np.ndarray, np.ndarray]], note: str, pdf: str, png: str) -> None:
    """Every teacher of each dimension overlaid along plot_x (d = 3: the diagonal)."""
    fig, axes = _figure(1, len(curves_by_d), 4.0, 3.0, "5x32 ReLU teachers, weights and biases U[-0.5, 0.5]; " + note)
    for ax, (d, (x, values)) in zip(axes[0], sorted(curves_by_d.items())):
        for v in values:
            ax.plot(x, v, lw=0.7)
        ax.set_title(f"d = {d}: {len(values)} teachers" + (" along (t, t, t)" if d > 1 else ""), fontsize=7)
        ax.tick_params(labelsize=6)
    save(fig, pdf, png)


def illustration(x, model, target, samples, windows: pd.DataFrame, l2: float, note: str, pdf: str,
                 png: str) -> None:
    """The whole domain and two zoom windows around the largest interior pointwise errors."""
    fig, axes = _figure(1, 1 + len(windows), 3.0, 2.4, note)
    panels = [(x.min(), x.max(), None)] + [(w.lo, w.hi, w) for w in windows.itertuples()]
    for ax, (lo, hi, w) in zip(axes[0], panels):
        inside = (x >= lo) & (x <= hi)
        ax.plot(x[inside], model[inside], color="#1f77b4", lw=0.9, label="model")
        ax.plot(x[inside], target[inside], color="#ff7f0e", lw=0.9, label="target")
        s_in = (samples[0] >= lo) & (samples[0] <= hi)
        ax.plot(samples[0][s_in], samples[1][s_in], ".", ms=3 if w is not None else 1, color="#ff7f0e",
                label="samples")
        ax.grid(True, lw=0.3, alpha=0.5)
        ax.tick_params(labelsize=5)
        if w is None:
            ax.set_title(f"m = {len(samples[0])} samples, L2 error {l2:.2e}", fontsize=6)
            for zoom in windows.itertuples():
                ax.axvspan(zoom.lo, zoom.hi, color="grey", alpha=0.3, lw=0)
        else:
            ax.set_title(f"zoom [{lo:.4f}, {hi:.4f}]\n|model - target| = {w.error:.3f} at x = {w.x:.4f}",
                         fontsize=6)
    axes[0, -1].legend(fontsize=5, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.subplots_adjust(right=0.88, wspace=0.3)
    save(fig, pdf, png)
