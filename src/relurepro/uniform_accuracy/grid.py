"""uniform_accuracy's job grid, without torch (the workflow reads it while planning; the cost model prices it).

A training job holds one part of a (d, experiment, m, width) cell: the cell's teacher x seed students in seed-major
order, cut into `parts` near-equal consecutive slices of at most `students_per_job` (uniform_accuracy §5.1.4: jobs
of 20 students keep width 2048 at batch 20,000 in memory). Its results: relurepro.uniform_accuracy.aggregate.
"""

from __future__ import annotations

import math

import numpy as np

TRAIN = "results/uniform_accuracy/train/d~{d}/exp~{exp}/m~{m}/width~{width}/part~{part}of{parts}"


def parts(cfg: dict) -> int:
    """Jobs per cell at this scale (`cfg`: the scale's uniform_accuracy section)."""
    return math.ceil(cfg["teachers"] * len(cfg["seeds"]) / cfg["students_per_job"])


def train_csvs(cfg: dict) -> list[str]:
    """Every training job's metrics.csv at this scale, in grid order (d, experiment, m, width, part)."""
    n = parts(cfg)
    return [f"{TRAIN}/metrics.csv".format(d=d, exp=exp, m=m, width=width, part=part, parts=n)
            for d in cfg["dims"] for exp in cfg["experiments"] for m in cfg["m"][str(d)] for width in cfg["widths"]
            for part in range(n)]


def students_of(teachers: list[int], seeds: list[int], part: int, parts: int) -> list[tuple[int, int]]:
    """The (teacher, seed) students of part `part` (0-based) of `parts`: the cell's students in seed-major
    order, cut into near-equal consecutive slices."""
    if not 0 <= part < parts:
        raise ValueError(f"part {part} not in 0..{parts - 1}")
    pairs = [(t, s) for s in seeds for t in teachers]
    bounds = np.linspace(0, len(pairs), parts + 1).round().astype(int)
    return pairs[bounds[part]:bounds[part + 1]]
