"""Pages of the best_models figure: for each (d, m, metric) the min-max winner (argmin algorithm, argmax
teacher) and, per seed, its student's values at the winning checkpoint beside the target and its samples."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_CELL = re.compile(r"d~(\d+)/exp~([a-z0-9_]+)/m~(\d+)/width~(\d+)/part~")


def _cell_key(path: str) -> tuple:
    match = _CELL.search(str(path))
    if not match:
        raise ValueError(f"{path}: not a uniform_accuracy training output")
    d, exp, m, width = match.groups()
    return int(d), exp, int(m), int(width)


def pages(table: pd.DataFrame, plot_paths: list[str]) -> list[dict]:
    """One page per (d, m, metric) of the max reduction, in the table's order."""
    by_cell: dict[tuple, list[str]] = {}
    for path in plot_paths:
        by_cell.setdefault(_cell_key(path), []).append(path)
    out = []
    for row in table[table.reduction == "max"].itertuples():
        page = {"d": row.d, "m": row.m, "metric": row.metric, "algorithm": row.algorithm, "teacher": row.teacher,
                "seeds": [], "student": {}, "samples": {} if row.d == 1 else None}
        for path in by_cell[(row.d, row.exp, row.m, row.width)]:
            run = np.load(path)
            for k in np.flatnonzero(run["teachers"] == str(row.teacher)):
                seed = int(run["seeds"][k])
                page["x"], page["target"] = run["plot_x"], run["target_values"][k]
                page["seeds"].append(seed)
                page["student"][seed] = run["values"][row.iteration - 1, k]
                if row.d == 1:
                    sample_row = list(run["sample_seeds"]).index(seed)
                    page["samples"][seed] = (run["samples"][sample_row][:, 0], run["labels"][k])
        if not page["seeds"]:
            raise KeyError(f"no plot values for teacher {row.teacher} in cell {(row.d, row.exp, row.m, row.width)}")
        out.append(page)
    return out
