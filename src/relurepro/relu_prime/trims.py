"""Trying fewer Monte-Carlo runs on a finished run, without running anything (`tools/trim_runs`).

Every relu_prime volume cell (volume_mnist and vol_*) seeds its runs 0..N-1, so the same cell with n < N runs
computes exactly the first n rows of the measured one. A trim of the run counts is therefore measured on the CSVs
of a full run: keep each cut cell's first n runs, rebuild the tables as the workflow does, and recompute:

- every claim of the tables (`relurepro.relu_prime.claims`): a kept trim leaves each row's status, and each checked
  row's measured text, as they were;
- the statistic behind the precision claims (C2_16_over_32, C2_rises, C3_16_over_32): at each point, whether the
  99 % Clopper-Pearson intervals of the lower and the higher precision are apart (the lower one's lower end above
  the higher one's upper end). A kept trim keeps every separation the full run had.

The vol_* separations are read at the batches C3_16_over_32's lead reads: the first and the 10th.
"""

from __future__ import annotations

import copy
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from relurepro.claims import binomial_interval
from relurepro.relu_prime import vol_cdf, volume_mnist
from relurepro.relu_prime.claims import vol_cdf_claims, volume_mnist_claims

NOT_CHECKED = "not_checked"
LEAD_BATCHES = (0, 9)  # the 0-based batches of C3_16_over_32's lead: the first and the 10th


@dataclass
class Trial:
    """A candidate's claims and separations beside the full run's; `kept` when nothing the claims rest on moved."""

    claims: pd.DataFrame  # id, case, status, status_cut, measured, measured_cut, same
    separations: pd.DataFrame  # point, low_bits, high_bits, p_low, p_high (+ _cut), separated, separated_cut, kept
    cut_cells: int

    @property
    def kept(self) -> bool:
        return bool(self.claims["same"].all() and self.separations["kept"].all())


def first_runs(csv: str | Path, runs: int, out: Path) -> Path:
    """The first `runs` runs of a measured cell (rows with run < runs, at every depth of a nested file)."""
    df = pd.read_csv(csv)
    df[df["run"] < runs].to_csv(out, index=False)
    return out


def measured_csv(results: Path, pattern: str, fields: dict) -> Path:
    """A measured cell's run CSV under `results`; missing means the run had other run counts."""
    path = results / pattern.format(**fields)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the results were not measured with this scale's run counts")
    return path


def cut_csvs(csvs: dict, runs: dict, cut_runs: dict, tmp: Path) -> tuple[dict, int]:
    """The candidate's CSV of each cell (keys as in `csvs`): the measured one, or its first `cut_runs[key]` runs.
    Returns them and how many cells were cut. A candidate may not add runs or cells."""
    if set(cut_runs) != set(runs):
        raise ValueError("the candidate has other cells than the measured scale: only run counts may change")
    out, copies = {}, {}
    for key, path in csvs.items():
        n = cut_runs[key]
        if n > runs[key]:
            raise ValueError(f"cell {key} asks for {n} runs; {runs[key]} were measured")
        if n < runs[key] and (path, n) not in copies:
            copies[(path, n)] = first_runs(path, n, tmp / f"cut{len(copies)}.csv")
        out[key] = copies[(path, n)] if n < runs[key] else path
    return out, sum(cut_runs[k] < runs[k] for k in runs)


def claim_changes(full: list[dict], cut: list[dict]) -> pd.DataFrame:
    """The claims rows side by side; `same`: the status is unchanged and, where checked, the measured text too."""
    cols = ["id", "case", "status", "measured"]
    a, b = pd.DataFrame(full)[cols], pd.DataFrame(cut)[cols]
    both = a.merge(b, on=["id", "case"], how="outer", suffixes=("", "_cut"), indicator=True)
    same_text = (both["measured"] == both["measured_cut"]) | (both["status"] == NOT_CHECKED)
    both["same"] = (both["_merge"] == "both") & (both["status"] == both["status_cut"]) & same_text
    return both.drop(columns="_merge")


def precision_gaps(table: pd.DataFrame, point: list[str]) -> pd.DataFrame:
    """At each point (the columns `point`), each precision against the next higher one: both proportions and
    whether their 99 % Clopper-Pearson intervals are apart, the lower precision's above."""
    rows = []
    for key, g in table.groupby(point, observed=True, sort=True):
        by_bits = g.set_index("bits")
        bits = sorted(by_bits.index)
        for low, high in zip(bits, bits[1:]):
            lo, hi = by_bits.loc[low], by_bits.loc[high]
            lower = binomial_interval(int(lo.bifurcated), int(lo.runs))[0]
            upper = binomial_interval(int(hi.bifurcated), int(hi.runs))[1]
            rows.append({"point": " ".join(f"{k}={v}" for k, v in zip(point, key)), "low_bits": low,
                         "high_bits": high, "p_low": f"{int(lo.bifurcated)}/{int(lo.runs)}",
                         "p_high": f"{int(hi.bifurcated)}/{int(hi.runs)}", "separated": lower > upper})
    return pd.DataFrame(rows)


def separation_changes(full: pd.DataFrame, cut: pd.DataFrame) -> pd.DataFrame:
    """`precision_gaps` of both runs side by side; `kept`: no separation of the full run was lost."""
    both = full.merge(cut, on=["point", "low_bits", "high_bits"], suffixes=("", "_cut"))
    both["kept"] = both["separated_cut"] | ~both["separated"]
    return both


def _reread(table: pd.DataFrame, reader, path: Path) -> pd.DataFrame:
    """The table as the claims rule reads it: written, then read through its schema."""
    table.to_csv(path, index=False)
    return reader(path)


def volume_mnist_trial(results: Path, vol: dict, candidate: dict, reference: pd.DataFrame, scale: str) -> Trial:
    """The volume_mnist figure (C2) with the candidate's run counts (`runs`, `runs_override`). Each depth is a cell
    of its own here, so a candidate may split a nested-depth job: its depths read the measured job's CSV."""
    jobs = volume_mnist.cells(vol)
    csvs = volume_mnist.csvs_by_cell(jobs, [measured_csv(results, volume_mnist.CELL_CSV,
                                                         volume_mnist.cell_fields(vol, j)) for j in jobs])
    runs, cut_runs = ({key: volume_mnist.runs_for(v, key[4], *key[1:4]) for key in csvs} for v in (vol, candidate))
    with tempfile.TemporaryDirectory() as tmp:
        cut, n_cut = cut_csvs(csvs, runs, cut_runs, Path(tmp))
        tables = [_reread(volume_mnist.aggregate(v, c), volume_mnist.read_aggregate, Path(tmp) / f"{name}.csv")
                  for name, v, c in (("full", vol, csvs), ("cut", candidate, cut))]
    default = vol["default"]["layers"]
    claims = claim_changes(*(volume_mnist_claims(t, reference, default, scale) for t in tables))
    gaps = separation_changes(*(precision_gaps(t, ["panel", "x"]) for t in tables))
    return Trial(claims, gaps, n_cut)


def _figure_bits(cell: dict) -> tuple:
    return cell["figure"], cell["bits"]


def vol_cdf_trial(results: Path, vol: dict, candidate: dict, reference: pd.DataFrame, scale: str) -> Trial:
    """The vol_* figures (C3) with the candidate's run counts (each figure's `runs`)."""
    cells, cut_cells = vol_cdf.cells(vol), vol_cdf.cells(candidate)
    csvs = {_figure_bits(c): measured_csv(results, vol_cdf.CELL_CSV, c) for c in cells}
    runs, cut_runs = ({_figure_bits(c): c["runs"] for c in cs} for cs in (cells, cut_cells))
    with tempfile.TemporaryDirectory() as tmp:
        cut, n_cut = cut_csvs(csvs, runs, cut_runs, Path(tmp))
        tables = [_reread(vol_cdf.aggregate(cs, [paths[_figure_bits(c)] for c in cs]), vol_cdf.read_aggregate,
                          Path(tmp) / f"{name}.csv")
                  for name, cs, paths in (("full", cells, csvs), ("cut", cut_cells, cut))]
    claims = claim_changes(*(vol_cdf_claims(t, reference, scale) for t in tables))
    gaps = separation_changes(*(precision_gaps(t[t.batch_idx.isin(LEAD_BATCHES)], ["figure", "batch_idx"])
                                for t in tables))
    return Trial(claims, gaps, n_cut)


def with_counts(grids: dict, counts: dict) -> dict:
    """`grids` (a part of a scale) with the candidate's counts laid over it: mappings merge key by key, anything
    else (a number, a list such as runs_override) is replaced."""
    out = copy.deepcopy(grids)
    for key, value in counts.items():
        if key not in out:
            raise KeyError(f"the candidate sets {key!r}, which the scale does not have")
        out[key] = with_counts(out[key], value) if isinstance(value, dict) and isinstance(out[key], dict) else value
    return out
