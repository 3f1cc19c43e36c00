"""Figure scaffolding shared by the papers' matplotlib figures: panels with the scale-and-deviations note printed
under them, PDF + PNG output, and the page a figure shows when its scale cannot compute it."""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
import pandas as pd  # noqa: E402


def figure_with_note(nrows: int, ncols: int, panel_w: float, panel_h: float, note: str, margins: dict | None = None,
                     **kw):
    """Panels with room under them for the wrapped note; `margins` passes left/right/wspace to subplots_adjust."""
    margins = margins or {}
    chars = int(22 * panel_w * ncols)  # monospace at 5 pt: about 22 characters per inch
    text = "\n".join(textwrap.fill(line, chars) for line in note.split("\n") if line)
    note_h = 0.1 * (text.count("\n") + 1) + 0.1
    height = panel_h * nrows + note_h + 0.4
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_w * ncols, height), squeeze=False, **kw)
    fig.subplots_adjust(bottom=(note_h + 0.4) / height, top=1 - 0.45 / height, **margins)
    fig.text(0.01, 0.01, text, ha="left", va="bottom", fontsize=5, family="monospace")
    return fig, axes


def not_computed(title: str, reason: str, note: str, pdf: str, png: str) -> None:
    """A page that says the figure was not computed at this scale, and why; it shows no data."""
    fig, axes = figure_with_note(1, 1, 5.0, 2.0, note)
    ax = axes[0, 0]
    ax.axis("off")
    ax.text(0.5, 0.6, title, ha="center", va="center", fontsize=10, weight="bold")
    ax.text(0.5, 0.3, textwrap.fill(f"NOT COMPUTED at this scale: {reason}", 70), ha="center", va="center",
            fontsize=7, color="darkred")
    save(fig, pdf, png)


def table_page(table: pd.DataFrame, title: str, note: str, pdf, png: str | None = None) -> None:
    """A table drawn as a figure page (the CSV and LaTeX files carry the same numbers). `pdf` may be an open
    PdfPages (one page of several; then no PNG)."""
    fig, axes = figure_with_note(1, 1, 7.0, 0.4 + 0.25 * len(table), note)
    ax = axes[0, 0]
    ax.axis("off")
    cells = [[f"{v:.2f}" if isinstance(v, float) else str(v) for v in row] for row in table.itertuples(index=False)]
    labels = [textwrap.fill(str(c), 16) for c in table.columns]  # long headers on two lines, not into a neighbour
    grid = ax.table(cellText=cells, colLabels=labels, loc="center", cellLoc="center")
    grid.auto_set_font_size(False)
    grid.set_fontsize(6)
    lines = max(label.count("\n") + 1 for label in labels)
    for j in range(len(labels)):
        grid[0, j].set_height(grid[0, j].get_height() * lines)
    ax.set_title(title, fontsize=8)
    save(fig, pdf, png)


def save(fig, pdf, png: str | None = None) -> None:
    """Write `fig` to a PDF path or an open PdfPages, and to a PNG when given; then close it."""
    if isinstance(pdf, PdfPages):
        pdf.savefig(fig)
    else:
        fig.savefig(pdf)
    if png is not None:
        fig.savefig(png, dpi=150)
    plt.close(fig)
