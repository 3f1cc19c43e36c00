"""Claims: each paper's checked statements, measured against published values (results/<paper>/claims.csv)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

COLUMNS = ["claim", "figure", "measured", "published", "rule", "passed", "scale"]


def claim(text: str, figure: str, measured, published, rule: str, passed: bool) -> dict:
    """One claim row; `measured` and `published` are shown as written (numbers or short phrases)."""
    return {"claim": text, "figure": figure, "measured": measured, "published": published, "rule": rule,
            "passed": bool(passed)}


def write(rows: list[dict], scale: str, out: str | Path) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=COLUMNS[:-1]).assign(scale=scale)[COLUMNS]
    table.to_csv(out, index=False)
    return table


def read(path: str | Path) -> pd.DataFrame:
    table = pd.read_csv(path)
    if list(table.columns) != COLUMNS:
        raise ValueError(f"{path}: expected claim columns {COLUMNS}, found {list(table.columns)}")
    return table


def status_by_figure(table: pd.DataFrame) -> dict[str, str]:
    """'passed/total' per figure id, for the manifests."""
    return {fig: f"{int(g['passed'].sum())}/{len(g)}" for fig, g in table.groupby("figure")}
