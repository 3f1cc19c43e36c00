"""Batched teacher-student training (§2.4, §2.5): all students of one (d, experiment, m, width) cell in one
program, checkpointed after every iteration so a killed job resumes with the same result.

A student is a (teacher, trial seed) pair. The trial seed fixes the student's initialisation, its training
samples (drawn on the CPU from the seed, so every device sees the same samples; they are stored with the run, as
the original does not) and, through errors.seed_for_test_points, its test points: they come from a generator seeded
apart from every training draw, so no test point repeats a training sample. Minibatch indices are drawn per
student from one job generator: independent reshuffles (or draws with replacement) per student, one random stream
per job.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from relurepro import checkpoints
from relurepro.uniform_accuracy.errors import TestPoints, chunk_rows, errors, test_generator
from relurepro.uniform_accuracy.models import StackedMLP

MINIBATCHES = ("epoch_shuffle", "with_replacement")
METRIC_COLUMNS = ["seed", "iteration", "L1", "L2", "Linfinity", "train_L2", "lr", "steps", "epochs",
                  "seconds"]


@dataclass(frozen=True)
class Experiment:
    """One batch-size setting of the original (exp_0/1/2) or a reduced one.

    batch: ``{"fraction": f}`` -> ceil(f m); ``{"fixed": b}`` -> b; ``{"cap": c}`` -> min(m, c).
    ``epoch_shuffle``: `per_iteration` epochs of a per-epoch reshuffle (last partial batch kept), LR stepped per
    epoch (the original); ``with_replacement``: `per_iteration` steps of batches drawn with replacement, LR
    stepped per step (the CPU recipe). The LR decays geometrically from lr[0] to lr[1] over the whole run.
    """

    name: str
    batch: dict
    minibatches: str
    per_iteration: int
    iterations: int
    lr: tuple[float, float]

    def __post_init__(self):
        if self.minibatches not in MINIBATCHES:
            raise ValueError(f"{self.name}: unknown minibatches {self.minibatches!r}; choose one of {MINIBATCHES}")
        if len(self.batch) != 1 or next(iter(self.batch)) not in ("fraction", "fixed", "cap"):
            raise ValueError(f"{self.name}: batch must be one of fraction, fixed or cap, got {self.batch}")

    def batch_size(self, m: int) -> int:
        (kind, value), = self.batch.items()
        size = math.ceil(value * m) if kind == "fraction" else value if kind == "fixed" else min(m, value)
        return max(1, min(m, int(size)))

    def steps_per_iteration(self, m: int) -> int:
        if self.minibatches == "with_replacement":
            return self.per_iteration
        return self.per_iteration * math.ceil(m / self.batch_size(m))

    def gamma(self) -> float:
        """Per-epoch (or per-step) LR factor: lr[0] * gamma^(iterations * per_iteration) = lr[1]."""
        return (self.lr[1] / self.lr[0]) ** (1.0 / (self.iterations * self.per_iteration))


def draw_samples(seed: int, m: int, d: int) -> torch.Tensor:
    """The m training points of trial seed `seed`: uniform on [-0.5, 0.5]^d, float64, drawn on the CPU."""
    return torch.rand(m, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) - 0.5


def plot_points(d: int, n: int = 1000) -> torch.Tensor:
    """The original's plot_x: n points of [-0.5, 0.5]; for d = 3 along the diagonal (t, t, t)."""
    t = torch.linspace(-0.5, 0.5, n, dtype=torch.float64)
    return t[:, None].expand(n, d).contiguous()


class TrialState:
    """Everything a resumed job needs: nets, optimiser, scheduler, generators, rows and plot values so far."""

    def __init__(self, students, optimizer, scheduler, shuffle_gen, test_gens):
        self.students, self.optimizer, self.scheduler = students, optimizer, scheduler
        self.shuffle_gen, self.test_gens = shuffle_gen, test_gens
        self.iteration, self.rows, self.plot_values, self.steps, self.epochs = 0, [], [], 0, 0

    def _generators(self) -> dict[str, torch.Generator]:
        return {"shuffle": self.shuffle_gen, **{f"test_{s}": g for s, g in self.test_gens.items()}}

    def save(self, path: Path) -> None:
        checkpoints.save(path, {
            "students": self.students.state_dict(), "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(), "rng": checkpoints.rng_state(self._generators()),
            "iteration": self.iteration, "rows": self.rows, "plot_values": self.plot_values,
            "steps": self.steps, "epochs": self.epochs})

    def load(self, path: Path) -> None:
        state = checkpoints.load(path)
        self.students.load_state_dict(state["students"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        checkpoints.set_rng_state(state["rng"], self._generators())
        self.iteration, self.rows, self.plot_values = state["iteration"], state["rows"], state["plot_values"]
        self.steps, self.epochs = state["steps"], state["epochs"]


def _minibatches(exp: Experiment, k: int, m: int, steps: int, gen: torch.Generator, device):
    """Index tensors (k, batch), one per Adam step: per-epoch reshuffles, or draws with replacement."""
    b = exp.batch_size(m)
    if exp.minibatches == "with_replacement":
        for _ in range(steps):
            yield torch.randint(m, (k, b), generator=gen, device=device)
        return
    per_epoch = math.ceil(m / b)
    for _ in range(steps // per_epoch):
        perm = torch.argsort(torch.rand(k, m, generator=gen, device=device), dim=1)
        for j in range(per_epoch):
            yield perm[:, j * b:(j + 1) * b]


def train_students(students: StackedMLP, targets, seeds: list[int], samples: dict[int, torch.Tensor],
                   exp: Experiment, test: TestPoints, *, checkpoint: str | Path, plot_n: int = 1000,
                   progress: bool = True) -> tuple[list[dict], torch.Tensor]:
    """Train every student on its targets' values at its seed's samples; evaluate after each iteration.

    `targets` maps points to one value per student (stacked teachers or the sine target); `seeds[k]` is student
    k's trial seed; `samples[seed]` its training points (m, d). Returns one row per (student, iteration) with
    METRIC_COLUMNS and the student's index k and the students' values on `plot_points` per iteration,
    shape (iterations, K, P). Resumes from `checkpoint` when it exists and removes it at the end.
    """
    device, dtype = students.weights[0].device, students.weights[0].dtype
    k, m = students.size, len(next(iter(samples.values())))
    x = torch.stack([samples[s] for s in seeds]).to(dtype=dtype, device=device)  # (K, m, d)
    with torch.no_grad():
        y = targets(x)  # (K, m)
    optimizer = torch.optim.Adam(students.parameters(), lr=exp.lr[0])
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=exp.gamma())
    test_gens = {s: test_generator(s, device) for s in sorted(set(seeds))}
    state = TrialState(students, optimizer, scheduler, torch.Generator(device=device).manual_seed(min(seeds)),
                       test_gens)
    checkpoint = Path(checkpoint)
    if checkpoint.exists():
        state.load(checkpoint)
    width = students.weights[0].shape[1]
    chunk = chunk_rows(k, width, torch.finfo(dtype).bits // 8)
    plot_x = plot_points(x.shape[-1], plot_n).to(dtype=dtype, device=device)
    steps = exp.steps_per_iteration(m)
    per_epoch = math.ceil(m / exp.batch_size(m))  # the train metric covers the last epoch (or as many steps)
    by_epoch = exp.minibatches == "epoch_shuffle"
    bar = tqdm(total=exp.iterations * steps, initial=state.iteration * steps, disable=not progress,
               desc=f"{exp.name} m={m} K={k} W={width}", mininterval=10)
    while state.iteration < exp.iterations:
        start = time.perf_counter()
        recent, seen = 0.0, 0  # (K,) sum of squared errors, and samples, over the last epoch
        for step, idx in enumerate(_minibatches(exp, k, m, steps, state.shuffle_gen, device)):
            xb = torch.gather(x, 1, idx[..., None].expand(-1, -1, x.shape[-1]))
            sq = (students(xb) - torch.gather(y, 1, idx)).pow(2)
            loss = sq.mean(1).sum()  # the sum of per-student MSEs: each student's gradient is its own
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            state.steps += 1
            if step >= steps - per_epoch:
                recent, seen = recent + sq.detach().sum(1), seen + idx.shape[1]
            if not by_epoch or state.steps % per_epoch == 0:  # the LR decays per epoch or per step
                scheduler.step()
                state.epochs += by_epoch
            bar.update(1)
        train_l2 = (recent / seen).sqrt()  # sqrt of the batch-size-weighted mean of per-batch MSEs
        state.iteration += 1
        errs = _evaluate(students, targets, seeds, test, state.test_gens, chunk, dtype, device)
        seconds = time.perf_counter() - start
        lr = optimizer.param_groups[0]["lr"]
        for i in range(k):
            state.rows.append({"student": i, "seed": seeds[i], "iteration": state.iteration,
                               **{name: float(v[i]) for name, v in errs.items()}, "train_L2": float(train_l2[i]),
                               "lr": lr, "steps": state.steps, "epochs": state.epochs, "seconds": seconds})
        with torch.no_grad():
            state.plot_values.append(students(plot_x).cpu())
        state.save(checkpoint)
    bar.close()
    checkpoint.unlink(missing_ok=True)
    return state.rows, torch.stack(state.plot_values)


def _evaluate(students, targets, seeds, test: TestPoints, test_gens, chunk, dtype, device):
    """Errors per student on its trial seed's test points: fresh ones continue the seed's test stream, a fixed set
    is redrawn from the stream's start; the grid is the same for all."""
    if test.mode == "grid":
        return errors(students, targets, test.chunks(None, chunk, dtype, device))
    out = {name: torch.empty(students.size, dtype=dtype, device=device) for name in ("L1", "L2", "Linfinity")}
    for s, gen in test_gens.items():
        if test.mode == "fixed":
            gen = test_generator(s, device)
        index = [i for i, seed in enumerate(seeds) if seed == s]
        group = errors(students.select(index), targets.select(index), test.chunks(gen, chunk, dtype, device))
        for name, v in group.items():
            out[name][index] = v
    return out
