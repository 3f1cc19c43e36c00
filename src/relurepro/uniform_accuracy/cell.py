"""One training job: the students of one (d, experiment, m, width) cell (or a part of them), and its outputs.

Outputs: ``metrics.csv`` (one row per student and iteration, CELL_COLUMNS) and ``plots.npz`` (the students'
values on the plot points at every iteration, the targets' values there, the training samples per seed and
each student's labels), so figures never need weights.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from relurepro.numerics import dtype_for_bits
from relurepro.uniform_accuracy.errors import TestPoints
from relurepro.uniform_accuracy.grid import students_of
from relurepro.uniform_accuracy.single_trial import train_trial
from relurepro.uniform_accuracy.models import seeded_students
from relurepro.uniform_accuracy.teachers import SineTarget, load_teachers
from relurepro.uniform_accuracy.training import METRIC_COLUMNS, Experiment, draw_samples, plot_points, train_students

CELL_COLUMNS = ["d", "exp", "m", "width", "teacher", *METRIC_COLUMNS]


def run_cell(*, d: int, exp: Experiment, m: int, width: int, depth: int, students: list[tuple[int, int]],
             teachers_path: str | Path | None, bits: int, test: TestPoints, device: str, out_metrics: str | Path,
             out_plots: str | Path, checkpoint: str | Path, plot_n: int = 1000, data_rng: str = "shared",
             progress: bool = True) -> pd.DataFrame:
    """Train `students` ((teacher, seed) pairs; teacher None = the sine target) and write the cell's outputs.

    `data_rng`: ``shared`` draws each seed's samples from their own generator (shared by every teacher and
    width, as the original on a GPU) and trains all students batched; ``trial_order`` trains one student in the
    original's order of random draws (global generators: init, samples, DataLoader shuffles; single_trial).
    The job resumes from `checkpoint` (written after every iteration, removed at the end).
    """
    dtype = dtype_for_bits(bits)
    teacher_ids = [t for t, _ in students]
    seeds = [s for _, s in students]
    if teachers_path is None:
        targets = SineTarget(len(students))
    else:
        targets = load_teachers(teachers_path, teacher_ids, dtype=dtype, device=device)
    if data_rng == "trial_order":
        if len(students) != 1:
            raise ValueError(f"data_rng trial_order trains one student per job, got {len(students)}")
        rows, plot_values, drawn = train_trial(targets, d=d, m=m, width=width, depth=depth, seed=seeds[0],
                                               exp=exp, test=test, dtype=dtype, device=device,
                                               checkpoint=checkpoint, plot_n=plot_n, progress=progress)
        samples = {seeds[0]: drawn}
    elif data_rng == "shared":
        nets = seeded_students(seeds, d, width, depth, dtype, device)
        samples = {s: draw_samples(s, m, d) for s in sorted(set(seeds))}
        rows, plot_values = train_students(nets, targets, seeds, samples, exp, test, checkpoint=checkpoint,
                                           plot_n=plot_n, progress=progress)
    else:
        raise ValueError(f"unknown data_rng {data_rng!r}; choose shared or trial_order")
    names = [str(t) if teachers_path else "sine" for t in teacher_ids]
    table = pd.DataFrame(rows)
    table["teacher"] = [names[k] for k in table["student"]]
    table = table.assign(d=d, exp=exp.name, m=m, width=width)[CELL_COLUMNS]
    px = plot_points(d, plot_n)
    with torch.no_grad():
        target_values = targets(px.to(dtype=dtype, device=device)).cpu().numpy()
        labels = targets(torch.stack([samples[s] for s in seeds]).to(dtype=dtype, device=device)).cpu()
    np.savez_compressed(out_plots, plot_x=px[:, 0].numpy(), values=plot_values.numpy(),
                        target_values=target_values, teachers=np.array(names),
                        seeds=np.array(seeds), sample_seeds=np.array(sorted(samples)),
                        samples=np.stack([samples[s].numpy() for s in sorted(samples)]),
                        labels=labels.float().numpy())
    table.to_csv(out_metrics, index=False)
    return table


_PATH = re.compile(r"d~(?P<d>\d+)/exp~(?P<exp>[^/]+)/m~(?P<m>\d+)/width~(?P<width>\d+)/"
                   r"part~(?P<part>\d+)of(?P<parts>\d+)/metrics\.csv$")


def cell_schema():
    """The declared schema of a job's metrics.csv and of runs.csv (relurepro.schemas): CELL_COLUMNS, one row per
    (student, iteration), errors finite and ordered as norms on the same test points (L1 <= L2 <= Linfinity)."""
    import pandera.pandas as pa

    nonneg = pa.Check.ge(0)
    error = pa.Column(float, nonneg, coerce=True)
    return pa.DataFrameSchema({
        "d": pa.Column(int, pa.Check.ge(1)), "exp": pa.Column(str), "m": pa.Column(int, pa.Check.ge(1)),
        "width": pa.Column(int, pa.Check.ge(1)), "teacher": pa.Column(str), "seed": pa.Column(int),
        "iteration": pa.Column(int, pa.Check.ge(1)), "L1": error, "L2": error, "Linfinity": error,
        "train_L2": pa.Column(float, nonneg, coerce=True, nullable=True), "lr": pa.Column(float, nonneg, coerce=True),
        "steps": pa.Column(int, nonneg), "epochs": pa.Column(int, nonneg),
        "seconds": pa.Column(float, nonneg, coerce=True),
    }, strict=True, ordered=True, unique=["d", "exp", "m", "width", "teacher", "seed", "iteration"], checks=[
        # Rounding may reorder norms that are equal (a constant error): a relative tolerance.
        pa.Check(lambda t: (t["L1"] <= t["L2"] * (1 + 1e-6)) & (t["L2"] <= t["Linfinity"] * (1 + 1e-6)),
                 error="L1 <= L2 <= Linfinity"),
    ])


def read_cell(path: str | Path, ua: dict | None = None) -> pd.DataFrame:
    """A job's metrics.csv validated against `cell_schema` (a violation names the file and its lines). With the
    scale's config `ua`, its self-describing path also fixes the cell and the part: exactly the students of that
    part (`students_of`), each at iterations 1..the experiment's iterations."""
    import itertools

    from relurepro import schemas

    m = _PATH.search(str(path))
    job = None
    if ua is not None and m is not None:
        students = students_of(list(range(ua["teachers"])), ua["seeds"], int(m["part"]), int(m["parts"]))
        iterations = int(ua["experiments"][m["exp"]]["iterations"])
        job = {(str(t), s, i) for (t, s), i in itertools.product(students, range(1, iterations + 1))}
    try:
        table = pd.read_csv(path, dtype={"teacher": str})
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: empty file") from None
    schemas.check(table, cell_schema(), path, rows=None if job is None else len(job))
    if m is not None:
        want = {"d": int(m["d"]), "exp": m["exp"], "m": int(m["m"]), "width": int(m["width"])}
        if not (table[list(want)] == pd.Series(want)).all().all():
            raise ValueError(f"{path}: rows of another cell than the path's {want}")
    if job is not None:
        found = set(zip(table["teacher"], table["seed"], table["iteration"]))
        if found != job:
            raise ValueError(f"{path}: (teacher, seed, iteration) rows {sorted(found - job)[:5]} not in the job's "
                             f"part, {sorted(job - found)[:5]} missing")
    return table


def read_runs(path: str | Path, rows: int | None = None) -> pd.DataFrame:
    """runs.csv as rule ua_aggregate wrote it (every job's metrics), checked against `cell_schema`."""
    try:
        table = pd.read_csv(path, dtype={"teacher": str})
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: empty file") from None
    return _checked(table, path, rows)


def _checked(table: pd.DataFrame, path, rows: int | None) -> pd.DataFrame:
    from relurepro import schemas

    schemas.check(table, cell_schema(), path, rows=rows)
    return table  # as read: checking coerces a copy


def read_sine(path: str | Path, iterations: int | None = None) -> pd.DataFrame:
    """The sine run's metrics.csv (rule ua_sine) checked against `cell_schema`: one student of the 1-d sine
    experiment with no teacher, at iterations 1..n (n = `iterations` when given)."""
    try:
        table = pd.read_csv(path, dtype={"teacher": str})
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: empty file") from None
    _checked(table, path, iterations)
    if not ((table["d"] == 1) & (table["exp"] == "sine") & (table["teacher"] == "sine")).all() \
            or table["seed"].nunique() != 1:
        raise ValueError(f"{path}: rows of another run than one sine student (d 1, exp sine, one seed)")
    if sorted(table["iteration"]) != list(range(1, len(table) + 1)):
        raise ValueError(f"{path}: iterations {sorted(table['iteration'])}, not 1..{len(table)}")
    return table
