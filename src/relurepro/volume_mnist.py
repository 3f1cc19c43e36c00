"""The relu_prime ``volume_mnist`` figure: its grid of Monte-Carlo cells and the aggregation into panels.

Panels (Section 3 of the paper): number of layers, number of neurons and batch size (``relu_everywhere`` nets),
and sample size (``no_first_relu`` net by default, derived from the first-bifurcation batch of its cell as the
original R script does).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from relurepro.volume import read_runs

BITS = (16, 32, 64)
PANELS = ("sample_size", "neurons", "layers", "batch")  # facet order of the original figure

# The aggregated CSV (results/relu_prime/volume_mnist.csv), one row per (panel, x, bits).
COLUMNS = {
    "panel": "one of " + ", ".join(PANELS),
    "x": "the panel's varied value (sample size in thousands for sample_size)",
    "bits": "precision: 16, 32 or 64",
    "variant": "volume MLP: relu_everywhere or no_first_relu",
    "layers": "hidden ReLU layers L",
    "neurons": "hidden width N",
    "batch": "batch size",
    "runs": "Monte-Carlo runs (seeded initialisations)",
    "bifurcated": "runs found in S01 (within the first x*1000 samples for sample_size)",
    "percent": "100 * bifurcated / runs",
    "percent_panel": "percent divided by the panel's maximum x 100 (original S8 normalisation)",
    "display": "value drawn: percent; with paper_quirks percent_panel, and a measured 64-bit 0 as 0.5 (S6)",
    "dataset": "dataset and sample count walked per run",
    "detector": "forward_zero or pair",
}


def runs_for(vol: dict, bits: int, layers: int, neurons: int, batch: int) -> int:
    """Runs of one cell: the scale's default for its precision unless an override matches."""
    for o in vol["runs_override"]:
        if o["bits"] == bits and all(o.get(k, v) == v for k, v in
                                     (("layers", layers), ("neurons", neurons), ("batch", batch))):
            return o["runs"]
    return vol["runs"][str(bits)]


def panel_points(vol: dict) -> list[dict]:
    """Every (panel, x) of the figure with the cell (variant, layers, neurons, batch) it reads."""
    d = vol["default"]
    base = {"variant": "relu_everywhere", "layers": d["layers"], "neurons": d["neurons"], "batch": d["batch"]}
    points = []
    for panel, key in (("layers", "layers"), ("neurons", "neurons"), ("batch", "batch")):
        points += [{"panel": panel, "x": v, **base, key: v} for v in vol[key]]
    sample_cell = {**base, "variant": vol["sample_size"]["variant"]}
    points += [{"panel": "sample_size", "x": s, **sample_cell} for s in vol["sample_size"]["sizes"]]
    return points


def cells(vol: dict) -> list[dict]:
    """The distinct Monte-Carlo cells of the figure, each with its precision and number of runs."""
    shapes = sorted({(p["variant"], p["layers"], p["neurons"], p["batch"]) for p in panel_points(vol)})
    return [
        {"variant": v, "layers": L, "neurons": N, "batch": b, "bits": bits, "runs": runs_for(vol, bits, L, N, b)}
        for (v, L, N, b) in shapes
        for bits in BITS
    ]


def display_note(paper_quirks: bool) -> str:
    """How the bars are drawn, for the figure's caption (the original's display quirks S6 and S8)."""
    if paper_quirks:
        bars = ("paper_quirks on: bars = % of runs / panel maximum x 100 and a measured 64-bit 0 drawn as a 0.5 bar"
                " (as the original R script); labels = % of runs in S01 (32 bit)")
    else:
        bars = "bars = % of runs in S01; labels = the 32- and 64-bit values (paper_quirks off)"
    return bars + "; every cell uses seeds 0..runs-1, so cells share initialisations (common random numbers)"


def aggregate(vol: dict, cell_csvs: dict[tuple, str | Path], paper_quirks: bool = False) -> pd.DataFrame:
    """Panels from per-cell run CSVs, keyed by (variant, layers, neurons, batch, bits).

    `paper_quirks` draws the bars as the original R script did: each panel divided by its maximum (S8) and a
    measured 64-bit zero as a 0.5 bar (S6); the CSV keeps the true percentages either way.
    """
    rows = []
    for point in panel_points(vol):
        for bits in BITS:
            key = (point["variant"], point["layers"], point["neurons"], point["batch"], bits)
            if key not in cell_csvs:
                raise KeyError(f"no run CSV for volume cell {key}")
            runs = read_runs(cell_csvs[key])
            if point["panel"] == "sample_size":
                # Bifurcated before reaching batch floor(s / batch), as the original R script counts.
                horizon = point["x"] // point["batch"]
                hits = sum(r.bifurcated and r.first_batch < horizon for r in runs)
                x = point["x"] / 1000
            else:
                hits, x = sum(r.bifurcated for r in runs), point["x"]
            rows.append({**point, "x": x, "bits": bits, "runs": len(runs), "bifurcated": hits,
                         "percent": 100.0 * hits / len(runs)})
    df = pd.DataFrame(rows)
    panel_max = df.groupby("panel")["percent"].transform("max")
    df["percent_panel"] = (100.0 * df["percent"] / panel_max.where(panel_max > 0, 1.0)).round(6)
    df["display"] = df["percent"]
    if paper_quirks:
        df["display"] = df["percent_panel"].where(~((df["bits"] == 64) & (df["bifurcated"] == 0)), 0.5)
    df["dataset"] = f'{vol["dataset"]}:{vol["split"]}:{vol["samples"]}'
    df["detector"] = vol["detector"]
    df["panel"] = pd.Categorical(df["panel"], PANELS, ordered=True)
    return df.sort_values(["panel", "x", "bits"], kind="stable")[list(COLUMNS)].reset_index(drop=True)


def validate_aggregate(df: pd.DataFrame, path: str = "volume_mnist.csv") -> None:
    """Fail loudly, naming the file, when an aggregated CSV does not follow COLUMNS."""
    if list(df.columns) != list(COLUMNS):
        raise ValueError(f"{path}: expected columns {list(COLUMNS)}, found {list(df.columns)}")
    bad = df[~df["panel"].isin(PANELS) | ~df["bits"].isin(BITS) | (df["runs"] < 1)
             | (df["bifurcated"] < 0) | (df["bifurcated"] > df["runs"])]
    if len(bad):
        raise ValueError(f"{path}: malformed rows:\n{bad.head()}")
