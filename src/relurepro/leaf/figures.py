"""leaf figures (§3.6-3.13), one PDF per figure id with a page per (network, dataset) or per variant, and the
scale's note on every page. A page lists the series the scale did not run instead of silently skipping them."""

from __future__ import annotations

from itertools import cycle

import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages

from relurepro.leaf.grid import CURVES, SHAPES, Run
from relurepro.plotting import figure_with_note, save

BW = [(ls, c) for c in ("black", "grey") for ls in ("-", "--", ":", "-.")]


def _select(table: pd.DataFrame, run: Run) -> pd.DataFrame:
    return table[(table.net == run.net) & (table.ds == run.ds) & (table.af == run.af) & (table.type == run.type)
                 & (table.opt == run.opt) & (table.dspt == run.dspt) & (table.p24sl == run.p24sl)
                 & (table.seed == run.seed)]


def curves(epochs: pd.DataFrame, figure_id: str, pairs: list[tuple[str, str]], note: str, pdf: str, png: str,
           seed: int = 42) -> list[str]:
    """Test accuracy (left) and training loss (right) per epoch, one page per (net, dataset). Returns the
    missing series."""
    af, variants, with_opt = CURVES[figure_id]
    bw = figure_id not in ("curves_relu_adam", "curves_silu_adam")
    missing = []
    with PdfPages(pdf) as pages:
        for i, (net, ds) in enumerate(pairs):
            fig, axes = figure_with_note(1, 2, 3.0, 3.0, note)
            styles = cycle(BW) if bw else cycle([("-", None)])
            absent = []
            for v in variants:
                run = Run(net, ds, af, *v, seed=seed)
                t = _select(epochs, run).sort_values("epoch")
                ls, color = next(styles)
                if t.empty:
                    absent.append(run.label(with_opt))
                    continue
                axes[0, 0].plot(t.epoch, 100 * t.test_acc, ls=ls, color=color, label=run.label(with_opt))
                axes[0, 1].plot(t.epoch, t.train_loss_mean, ls=ls, color=color, label=run.label(with_opt))
            for ax, ylabel in zip(axes[0], ("test accuracy, %", "training loss")):
                ax.set(xlabel="epoch", ylabel=ylabel)
                ax.grid(True)
                ax.legend(fontsize=6)
            title = f"{net} / {ds}: {af}"
            if absent:
                title += f"\nnot run at this scale: {'; '.join(absent)}"
                missing += [f"{net}/{ds}: {a}" for a in absent]
            fig.suptitle(title, fontsize=7)
            save(fig, pages, png if i == 0 else None)
    return missing


def af_shapes(shapes: pd.DataFrame, pairs: list[tuple[str, str]], note: str, pdf: str, png: str,
              seed: int = 42) -> list[str]:
    """Base function (black) and learned function (grey) of 5 random neurons in each of the last activation layers,
    one page per (net, dataset, variant)."""
    missing, first = [], True
    with PdfPages(pdf) as pages:
        for net, ds in pairs:
            for af, kind, dspt, p24sl in SHAPES:
                run = Run(net, ds, af, kind, "adam", dspt, p24sl, seed)
                t = _select(shapes, run)
                if t.empty:
                    missing.append(f"{net}/{ds}: {af} {run.label()}")
                    continue
                rows = int(t.row.max()) + 1
                fig, axes = figure_with_note(rows, 5, 1.0, 1.0, note)
                for (row, col), cell in t.groupby(["row", "col"]):
                    ax = axes[row, col]
                    ax.plot(cell.x, cell.base, color="black", lw=1)
                    ax.plot(cell.x, cell.learned, color="grey", lw=1)
                    ax.set_title(f"L{row} F{cell.position.iloc[0]}", fontsize=5)
                    ax.tick_params(labelsize=4)
                fig.suptitle(f"{net} / {ds}: {af}-initialised {run.label()} (Adam)", fontsize=7)
                save(fig, pages, png if first else None)
                first = False
        if first:  # nothing of this figure ran at this scale: one page that says so
            fig, axes = figure_with_note(1, 1, 5.0, 1.5, note)
            axes[0, 0].axis("off")
            axes[0, 0].text(0.5, 0.5, "no learned-shape run at this scale", ha="center")
            save(fig, pages, png)
    return missing


def af_diff(curves_table: pd.DataFrame, summary: pd.DataFrame, note: str, pdf: str, png: str) -> None:
    """Squared error of each approximation against its reference per input, one panel per (pair, dtype)."""
    pairs, dtypes = list(dict.fromkeys(curves_table.pair)), list(dict.fromkeys(curves_table.dtype))
    fig, axes = figure_with_note(len(pairs), len(dtypes), 2.6, 1.3, note)
    for i, pair in enumerate(pairs):
        for j, dtype in enumerate(dtypes):
            ax = axes[i, j]
            t = curves_table[(curves_table.pair == pair) & (curves_table.dtype == dtype)]
            s = summary[(summary.pair == pair) & (summary.dtype == dtype)].iloc[0]
            ax.plot(t.x, t.error, color="black", lw=0.8)
            ax.set_title(f"{pair}, {dtype}: min={s['min']:.3g}, max={s['max']:.3g}", fontsize=5)
            ax.tick_params(labelsize=4)
            ax.set_xlabel("Input, x", fontsize=5)
            ax.set_ylabel("Error, E=Δ^2", fontsize=5)
    save(fig, pdf, png)
