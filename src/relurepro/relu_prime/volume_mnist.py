"""The relu_prime ``volume_mnist`` figure: its grid of Monte-Carlo cells and the aggregation into panels.

Panels (Section 3 of the paper): number of layers, number of neurons and batch size (``relu_everywhere`` nets),
and sample size (``no_first_relu`` net by default, derived from the first-bifurcation batch of its cell as the
original R script does).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from relurepro.pipeline.packs import Pack, cell_packs as cut_cells

BITS = (16, 32, 64)
# A cell's run CSV, from `cell_fields`.
CELL_CSV = ("results/relu_prime/volume_mlp/{dataset}-{split}-{samples}/variant~{variant}/layers~{layers}/"
            "neurons~{neurons}/batch~{batch}/bits~{bits}/detector~{detector}/runs~{runs}/runs.csv")
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
    "zero_runs": "runs with an exact zero at a ReLU input (within the same samples): necessary for S01, not sufficient",
    "zero_percent": "100 * zero_runs / runs (>= percent)",
    "percent_panel": "percent divided by the panel's maximum x 100 (original relu_prime S8 normalisation)",
    "display": "value drawn: percent; with paper_quirks percent_panel, and a measured 64-bit 0 as 0.5 (relu_prime S6)",
    "dataset": "dataset and sample count walked per run",
    "detector": "exact (zero screen + gradient pair) or pair (the pair on every batch); both decide S01 exactly",
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
    """The Monte-Carlo jobs of the figure, each with its precision and number of runs.

    `layers` is a dash-joined list of depths: the nets of one width, batch size, precision and run count that
    differ only in depth are one job (under one seed a shallower net's hidden layers are the deeper one's first
    layers, so the deepest net's forward screens them all; see `relurepro.relu_prime.volume.run_once`).
    """
    shapes = sorted({(p["variant"], p["layers"], p["neurons"], p["batch"]) for p in panel_points(vol)})
    jobs: dict[tuple, list[int]] = {}
    for v, L, N, b in shapes:
        for bits in BITS:
            runs = runs_for(vol, bits, L, N, b)
            jobs.setdefault((v, N, b, bits, runs), []).append(L)
    return [{"variant": v, "layers": "-".join(map(str, sorted(depths))), "neurons": N, "batch": b, "bits": bits,
             "runs": runs} for (v, N, b, bits, runs), depths in jobs.items()]


def cell_fields(vol: dict, job: dict) -> dict:
    """The path fields of a job of `cells` (`CELL_CSV`'s wildcards): the job's own and the figure's data and
    detector."""
    return {"dataset": vol["dataset"], "split": vol["split"], "samples": vol["samples"], "detector": vol["detector"],
            **job}


def cell_packs(jobs: list[dict], per_job: int) -> list[Pack]:
    """The jobs of `cells` (positions in `jobs`) in packs of at most `per_job` of one precision, so that a pack's
    cells run at one speed (CPU half GEMMs are slow); none when `per_job` is 1 (a job per cell)."""
    return cut_cells(jobs, per_job, group=lambda c: c["bits"], what="relu_prime volume_mnist.cells_per_job",
                     label=lambda bits: f"bits{bits}")


def job_depths(layers: str) -> list[int]:
    """The depths of a job's `layers` wildcard ("1-2-3" -> [1, 2, 3])."""
    return [int(d) for d in layers.split("-")]


def csvs_by_cell(jobs: list[dict], paths: list[str | Path]) -> dict[tuple, str | Path]:
    """Each (variant, layers, neurons, batch, bits) cell's run CSV, from the jobs of `cells` and their outputs."""
    return {(j["variant"], depth, j["neurons"], j["batch"], j["bits"]): path
            for j, path in zip(jobs, paths, strict=True) for depth in job_depths(j["layers"])}


def display_note(paper_quirks: bool) -> str:
    """How the bars are drawn, for the figure's caption (the original's display quirks relu_prime S6 and S8)."""
    if paper_quirks:
        bars = ("paper_quirks on: bars = % of runs / panel maximum x 100 and a measured 64-bit 0 drawn as a 0.5 bar"
                " (as the original R script); labels = % of runs in S01 (32 bit)")
    else:
        bars = "bars = % of runs in S01; labels = the 32- and 64-bit values (paper_quirks off)"
    return (bars + "; S01 = the first-layer weight gradients of ReLU'(0)=0 and =1 differ on some batch (decided by "
            "the gradient pair); crosses on the neurons panel = % of runs with an exact zero at a ReLU input (necessary, "
            "not sufficient); every cell uses seeds 0..runs-1, so cells share initialisations (common random numbers)")


def aggregate(vol: dict, cell_csvs: dict[tuple, str | Path], paper_quirks: bool = False) -> pd.DataFrame:
    """Panels from per-cell run CSVs, keyed by (variant, layers, neurons, batch, bits).

    `paper_quirks` draws the bars as the original R script did: each panel divided by its maximum (relu_prime S8) and a
    measured 64-bit zero as a 0.5 bar (relu_prime S6); the CSV keeps the true percentages either way.
    """
    from relurepro.relu_prime.volume import read_runs  # here: the workflow imports this module to plan, without torch

    rows = []
    for point in panel_points(vol):
        for bits in BITS:
            key = (point["variant"], point["layers"], point["neurons"], point["batch"], bits)
            if key not in cell_csvs:
                raise KeyError(f"no run CSV for volume cell {key}")
            runs = read_runs(cell_csvs[key], layers=point["layers"], runs=runs_for(vol, bits, *key[1:4]))
            # Events before batch floor(s / batch) for the sample-size panel, as the original R script counts;
            # anywhere in the walk otherwise.
            sample_panel = point["panel"] == "sample_size"
            horizon = point["x"] // point["batch"] if sample_panel else None
            hits = sum(_within(r.first_batch, horizon) for r in runs)
            zeros = sum(_within(r.first_zero, horizon) for r in runs)
            rows.append({**point, "x": point["x"] / 1000 if sample_panel else point["x"], "bits": bits,
                         "runs": len(runs), "bifurcated": hits, "percent": 100.0 * hits / len(runs),
                         "zero_runs": zeros, "zero_percent": 100.0 * zeros / len(runs)})
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


def _within(batch: int, horizon: int | None) -> bool:
    """An event at 0-based `batch` (-1: never) happened before batch `horizon` (None: at all)."""
    return batch >= 0 and (horizon is None or batch < horizon)


def validate_aggregate(df: pd.DataFrame, path: str = "volume_mnist.csv") -> None:
    """Fail, naming the file and its lines, when an aggregated table does not follow COLUMNS (relurepro.schemas)."""
    import pandera.pandas as pa

    from relurepro import schemas

    count, share = pa.Check.ge(0), pa.Check.in_range(0, 100)
    schema = pa.DataFrameSchema({
        "panel": pa.Column(str, pa.Check.isin(PANELS)), "x": pa.Column(float, pa.Check.gt(0), coerce=True),
        "bits": pa.Column(int, pa.Check.isin(BITS)),
        "variant": pa.Column(str, pa.Check.isin(["relu_everywhere", "no_first_relu"])),
        "layers": pa.Column(int, pa.Check.ge(1)), "neurons": pa.Column(int, pa.Check.ge(1)),
        "batch": pa.Column(int, pa.Check.ge(1)), "runs": pa.Column(int, pa.Check.ge(1)),
        "bifurcated": pa.Column(int, count), "percent": pa.Column(float, share, coerce=True),
        "zero_runs": pa.Column(int, count), "zero_percent": pa.Column(float, share, coerce=True),
        "percent_panel": pa.Column(float, share, coerce=True), "display": pa.Column(float, share, coerce=True),
        "dataset": pa.Column(str), "detector": pa.Column(str, pa.Check.isin(["exact", "pair"])),
    }, strict=True, ordered=True, unique=["panel", "x", "bits"], checks=[
        pa.Check(lambda d: (d["bifurcated"] <= d["zero_runs"]) & (d["zero_runs"] <= d["runs"]),
                 error="bifurcated <= zero_runs <= runs (a gradient difference needs an exact zero)"),
        pa.Check(lambda d: (d["percent"] - 100 * d["bifurcated"] / d["runs"]).abs() < 1e-9,
                 error="percent = 100 * bifurcated / runs"),
    ])
    schemas.check(df.astype({"panel": str}), schema, path)


def read_aggregate(path: str | Path) -> pd.DataFrame:
    """volume_mnist.csv as rule rp_volume_mnist_table wrote it, checked (`validate_aggregate`)."""
    from relurepro import schemas

    return schemas.read_checked(path, validate_aggregate)


# The original's per-panel CSVs (relu_prime §3.5): file name -> (panel, columns, name of the x column). Ours add `runs`
# (the counts are out of this many runs, not a hard-coded 1000) and `measured` (the original hard-coded the 64-bit
# counts of the layers and batch panels to 0; every count here is measured). The sample-size CSV of the original
# held per-batch gradient norms; ours is the panel's summary in the same shape as the others.
PANEL_CSVS = {
    "volume_estimation_by_number_of_layers_MNIST.csv": ("layers", ["precision", "count", "nb_layers"], "nb_layers"),
    "volume_estimation_by_number_of_neurons_MNIST.csv": (
        "neurons", ["precision", "count", "nb_layers", "nb_neurons"], "nb_neurons"),
    "volume_estimation_by_batch_size_MNIST.csv": (
        "batch", ["Unnamed: 0", "precision", "count", "batch_size"], "batch_size"),
    "volume_estimation_by_sample_size_summary_MNIST.csv": ("sample_size", ["precision", "count", "sample_size"],
                                                            "sample_size"),
}


def panel_tables(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The aggregated table split into the original's per-panel CSVs (write them with the row-number index)."""
    out = {}
    for name, (panel, columns, x_column) in PANEL_CSVS.items():
        rows = table[table["panel"] == panel].reset_index(drop=True)
        x = rows["x"] * 1000 if panel == "sample_size" else rows["x"]
        frame = pd.DataFrame({"precision": rows["bits"], "count": rows["bifurcated"], x_column: x.round().astype(int)})
        if "nb_layers" in columns and x_column != "nb_layers":
            frame["nb_layers"] = pd.NA  # empty in the original too
        if "Unnamed: 0" in columns:
            frame["Unnamed: 0"] = range(len(frame))  # the original's leftover pandas index
        out[name] = frame[columns].assign(runs=rows["runs"], measured=True)
    return out
