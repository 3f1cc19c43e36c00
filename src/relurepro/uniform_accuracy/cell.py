"""One training job: the students of one (d, experiment, m, width) cell (or a part of them), and its outputs.

Outputs: ``metrics.csv`` (one row per student and iteration, CELL_COLUMNS) and ``plots.npz`` (the students'
values on the plot points at every iteration, the targets' values there, the training samples per seed and
each student's labels), so figures never need weights.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from relurepro.numerics import dtype_for_bits
from relurepro.uniform_accuracy.errors import TestPoints
from relurepro.uniform_accuracy.single_trial import train_trial
from relurepro.uniform_accuracy.stacked import seeded_students
from relurepro.uniform_accuracy.teachers import SineTarget, load_teachers
from relurepro.uniform_accuracy.train import METRIC_COLUMNS, Experiment, draw_samples, plot_points, train_students

CELL_COLUMNS = ["d", "exp", "m", "width", "teacher", *METRIC_COLUMNS]


def students_of(teachers: list[int], seeds: list[int], part: int, parts: int) -> list[tuple[int, int]]:
    """The (teacher, seed) students of part `part` (0-based) of `parts`: the cell's students in seed-major
    order, cut into near-equal consecutive slices."""
    if not 0 <= part < parts:
        raise ValueError(f"part {part} not in 0..{parts - 1}")
    pairs = [(t, s) for s in seeds for t in teachers]
    bounds = np.linspace(0, len(pairs), parts + 1).round().astype(int)
    return pairs[bounds[part]:bounds[part + 1]]


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


def read_cell(path: str | Path) -> pd.DataFrame:
    """A job's metrics.csv, checked: fails naming the file when it does not follow CELL_COLUMNS."""
    table = pd.read_csv(path, dtype={"teacher": str})
    if list(table.columns) != CELL_COLUMNS:
        raise ValueError(f"{path}: expected columns {CELL_COLUMNS}, found {list(table.columns)}")
    if table[["L1", "L2", "Linfinity"]].isna().any().any():
        raise ValueError(f"{path}: missing error values")
    return table
