"""Benchmark of uniform_accuracy training, not a test: one student at a time vs the batched trainer.

Equal work in one process: K students (teacher x seed) of one cell, S Adam steps each, float64 by default.
- baseline: one plain nn.Sequential + torch.optim.Adam per student, minibatches sliced from tensors (already
  faster than the original's per-sample DataLoader);
- ours: `train_students`, all K students stacked in one program (batched matmuls, one Adam).
Prints both times and their ratio, then the paper-scale cost (uniform_accuracy §5.1) both ways: Adam steps
counted exactly from config/scales/paper.yaml, times derived from this run's per-step costs, and a GPU estimate
derived from the H100 step costs measured in uniform_accuracy §5.1.4 (launch-bound 1.6 ms per step, 41 TFLOP/s
FP64): a derivation, not a measurement.

    python bench/bench_uniform.py [--students 16] [--steps 300] [--width 32] [--m 1000] [--threads 1]
"""

import argparse
import math
import time
from pathlib import Path

import torch

from relurepro.pipeline.config import load_scale
from relurepro.numerics import setup
from relurepro.uniform_accuracy.errors import TestPoints
from relurepro.uniform_accuracy.models import linear_stack, seeded_students
from relurepro.uniform_accuracy.teachers import build_teacher, load_teachers, save_teachers
from relurepro.uniform_accuracy.training import Experiment, draw_samples, train_students

H100_LAUNCH_S, H100_FP64 = 1.6e-3, 41e12  # uniform_accuracy §5.1.4, measured on an H100 by a reduced re-implementation


def sequential(layers, dtype) -> torch.nn.Sequential:
    """Linear, ReLU, ..., Linear."""
    return torch.nn.Sequential(*[mod for lin in layers for mod in (lin.to(dtype), torch.nn.ReLU())][:-1])


def baseline(teacher_ids, seed, x, exp, m, width, depth, steps, dtype):
    """One student after another: plain modules, plain Adam, index slicing."""
    b = exp.batch_size(m)
    for t in teacher_ids:
        torch.manual_seed(seed)
        net = sequential(linear_stack(1, width, depth), dtype)
        teacher = sequential(build_teacher(1, t), dtype)
        with torch.no_grad():
            y = teacher(x)
        opt = torch.optim.Adam(net.parameters(), lr=exp.lr[0])
        gen = torch.Generator().manual_seed(seed)
        for _ in range(steps):
            idx = torch.randint(m, (b,), generator=gen)
            loss = (net(x[idx] * math.sqrt(12)) - y[idx]).pow(2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()


def paper_cost(step_alone_s: float, step_batched_s: float, students: int) -> None:
    """Paper-scale cost, per the paper grid: measured here, and derived for an H100."""
    ua = load_scale(Path(__file__).parents[1] / "config" / "scales" / "paper.yaml")["uniform_accuracy"]
    per_job = ua["students_per_job"]
    n_students = ua["teachers"] * len(ua["seeds"])
    steps = gpu_alone = gpu_batched = 0.0
    for d in ua["dims"]:
        for name, spec in ua["experiments"].items():
            exp = Experiment(name, **spec)
            for m in ua["m"][str(d)]:
                for width in ua["widths"]:
                    s = exp.iterations * exp.steps_per_iteration(m)
                    params = d * width + (ua["depth"] - 2) * width * width + width + (ua["depth"] - 1) * width + 1
                    flops = 6 * exp.batch_size(m) * params  # forward + backward per student-step
                    steps += n_students * s
                    gpu_alone += n_students * s * max(H100_LAUNCH_S, flops / H100_FP64)
                    gpu_batched += n_students / per_job * s * max(H100_LAUNCH_S, per_job * flops / H100_FP64)
    print(f"paper scale: {steps:.3g} student Adam steps (both dimensions)")
    print(f"  this machine, W as benchmarked: one at a time {steps * step_alone_s / 3600:,.0f} h, "
          f"batched ({students} per program) {steps * step_batched_s / 3600:,.0f} h")
    print(f"  H100 (derived): one at a time {gpu_alone / 3600:,.0f} GPU-h, batched ({per_job} per program) "
          f"{gpu_batched / 3600:,.0f} GPU-h, ratio {gpu_alone / gpu_batched:.1f}x; plus evaluations")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=16)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--m", type=int, default=1000)
    parser.add_argument("--bits", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    setup(threads=args.threads)
    dtype = torch.float64 if args.bits == 64 else torch.float32
    exp = Experiment("bench", {"fraction": 0.2}, "with_replacement", args.steps, 1, (1e-4, 1e-6))
    teacher_ids, seed, depth = list(range(args.students)), 10000, 5
    x = draw_samples(seed, args.m, 1).to(dtype)

    start = time.perf_counter()
    baseline(teacher_ids, seed, x, exp, args.m, args.width, depth, args.steps, dtype)
    alone = time.perf_counter() - start

    path = Path("/tmp/bench_uniform_teachers.pt")
    save_teachers(1, teacher_ids, path)
    targets = load_teachers(path, teacher_ids, dtype=dtype)
    students = seeded_students([seed] * args.students, 1, args.width, depth, dtype, "cpu")
    ckpt = Path("/tmp/bench_uniform_ckpt.pt")
    ckpt.unlink(missing_ok=True)
    start = time.perf_counter()
    train_students(students, targets, [seed] * args.students, {seed: x.double()}, exp, TestPoints("grid", 2, 1),
                   checkpoint=ckpt, progress=False)
    batched = time.perf_counter() - start

    work = args.students * args.steps
    print(f"K={args.students} students x {args.steps} steps, W={args.width}, m={args.m}, batch "
          f"{exp.batch_size(args.m)}, float{args.bits}, {args.threads} thread(s)")
    print(f"baseline (one at a time): {alone:.2f} s = {1e3 * alone / work:.3f} ms per student-step")
    print(f"ours (batched):           {batched:.2f} s = {1e3 * batched / work:.3f} ms per student-step")
    print(f"ratio: {alone / batched:.1f}x")
    paper_cost(alone / work, batched / work, args.students)


if __name__ == "__main__":
    main()
