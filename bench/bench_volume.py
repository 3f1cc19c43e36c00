"""Benchmark of the volume sampler's hot loop (relu_prime Section 3), not a test.

Same cell, same seeds, same data, in one process:
- baseline: one draw at a time, two networks (ReLU'(0)=0 and =1), forward and backward each, first-layer
  gradients compared after every batch (the original notebooks' protocol; `run_once` with the pair detector);
- ours: stacked draws, forward-only exact-zero detector (`first_zero_batches`).
Prints both times, their ratio, and our useful GEMM rate as a fraction of this machine's fp32 GEMM rate measured
in the same run.

    python bench/bench_volume.py [--runs 32] [--threads 1]
"""

import argparse
import time

import torch

from relurepro.data import load_embedded
from relurepro.numerics import setup
from relurepro.volume import VolumeCell, chunk_size, first_zero_batches, prepare_batches, run_once


def gemm_rate(n_rows=256, inner=784, cols=16384, repeats=10) -> float:
    """fp32 GEMM FLOP/s of this machine at a shape like our stacked first layer."""
    a, b = torch.rand(n_rows, inner), torch.rand(inner, cols)
    a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n_rows * inner * cols * repeats / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    setup(threads=args.threads)
    data = load_embedded("mnist5k", "all")
    cell = VolumeCell("relu_everywhere", 3, 256, 256, 32)
    xs, ys = prepare_batches(data, cell)
    seeds = list(range(args.runs))

    start = time.perf_counter()
    pair = VolumeCell(cell.variant, cell.layers, cell.neurons, cell.batch_size, cell.bits, "pair")
    baseline = [run_once(pair, xs, ys, s) for s in seeds]
    t_base = time.perf_counter() - start

    start = time.perf_counter()
    ours = []
    step = chunk_size(cell)
    for i in range(0, len(seeds), step):
        ours += first_zero_batches(cell, xs, seeds[i:i + step])
    t_ours = time.perf_counter() - start
    assert ours == baseline, "the two detectors disagree"

    # Useful FLOPs of ours: hidden layers only, for the batches each draw actually walked.
    samples = sum(sum(len(x) for x in xs[:seen]) for _, seen in ours)
    flops = 2 * samples * (784 * cell.neurons + (cell.layers - 1) * cell.neurons**2)
    peak = gemm_rate()
    print(f"cell {cell}, {args.runs} runs, {args.threads} thread(s), torch {torch.__version__}")
    print(f"bifurcated runs: {sum(f >= 0 for f, _ in ours)} of {len(ours)} (identical in both)")
    print(f"baseline (pair, one draw at a time): {t_base:.2f} s = {1e3 * t_base / len(seeds):.1f} ms per run")
    print(f"ours (stacked, forward-only):        {t_ours:.2f} s = {1e3 * t_ours / len(seeds):.1f} ms per run")
    print(f"speed ratio: {t_base / t_ours:.1f}x")
    print(f"our GEMM rate {flops / t_ours / 1e9:.1f} GFLOP/s = {100 * flops / t_ours / peak:.0f} % of the "
          f"machine's fp32 GEMM rate ({peak / 1e9:.1f} GFLOP/s)")


if __name__ == "__main__":
    main()
