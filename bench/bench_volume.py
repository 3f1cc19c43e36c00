"""Benchmark of the volume sampler (relu_prime Section 3), not a test.

Same cell, same seeds, same data, in one process, one draw at a time:
- baseline: the original protocol, two networks (ReLU'(0)=0 and =1), forward and backward on every batch,
  first-layer weight gradients compared (`run_once` with the ``pair`` detector);
- ours: the ``exact`` detector, net0's own forward on every batch and the gradient pair only on batches with an
  exact zero at a ReLU input.
Both decide the same event; their outcomes (first zero, first gradient difference, batches walked) are asserted
equal. Prints both times, their ratio, the FLOP ratio of the two methods (the ceiling of a forward screen) and how
much of it was reached, and our FLOP rate as a share of this machine's fp32 GEMM rate measured in the same run.

    python bench/bench_volume.py [--runs 32] [--threads 1]
"""

import argparse
import time

import torch

from relurepro.data import load_embedded
from relurepro.numerics import setup
from relurepro.relu_prime.volume import VolumeCell, prepare_batches, run_once


def gemm_rate(n: int = 1024, repeats: int = 20) -> float:
    """fp32 FLOP/s of a large square GEMM on this machine: the rate a FLOP-bound kernel can reach."""
    a, b = torch.rand(n, n), torch.rand(n, n)
    a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n**3 * repeats / (time.perf_counter() - start)


def flops_per_sample(cell: VolumeCell) -> tuple[int, int]:
    """(pair, screen) FLOPs per sample: the pair runs two nets forward and backward (weight gradients everywhere,
    input gradients below the first layer); the screen runs one net's hidden layers forward (no head)."""
    n, hidden = cell.neurons, (cell.layers - 1) * cell.neurons**2
    forward = 784 * n + hidden + 10 * n
    backward = forward + hidden + 10 * n
    return 2 * 2 * (forward + backward), 2 * (784 * n + hidden)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    setup(threads=args.threads)
    data = load_embedded("mnist5k", "all")
    seeds = list(range(args.runs))
    timed, events = {}, {}
    for detector in ("pair", "exact"):
        cell = VolumeCell("relu_everywhere", 3, 256, 256, 32, detector)
        xs, ys = prepare_batches(data, cell)
        start = time.perf_counter()
        events[detector] = [run_once(cell, xs, ys, s)[0] for s in seeds]
        timed[detector] = time.perf_counter() - start
    assert events["exact"] == events["pair"], "the two detectors disagree"

    pair_flops, screen_flops = flops_per_sample(cell)
    samples = [len(x) for x in xs]
    walked = sum(sum(samples[:e.batches_seen]) for e in events["exact"])
    decided = sum(samples[e.first_zero] for e in events["exact"] if e.first_zero >= 0)  # pair batches (lower bound)
    ours = walked * screen_flops + decided * pair_flops
    ceiling = pair_flops / screen_flops
    ratio = timed["pair"] / timed["exact"]
    peak = gemm_rate()
    print(f"cell {cell}, {args.runs} runs, {args.threads} thread(s), torch {torch.__version__}")
    print(f"runs in S01: {sum(e.first_batch >= 0 for e in events['exact'])} of {args.runs}, with an exact zero: "
          f"{sum(e.first_zero >= 0 for e in events['exact'])} (identical under both detectors)")
    print(f"baseline (pair on every batch): {timed['pair']:.2f} s = {1e3 * timed['pair'] / args.runs:.1f} ms per run")
    print(f"ours (exact: screen + pair):    {timed['exact']:.2f} s = {1e3 * timed['exact'] / args.runs:.1f} ms per run")
    print(f"speed ratio: {ratio:.2f}x; FLOP ratio of the two methods (the screen's ceiling): {ceiling:.2f}x; "
          f"reached: {100 * ratio / ceiling:.0f} %")
    print(f"baseline FLOP rate {walked * pair_flops / timed['pair'] / 1e9:.1f} GFLOP/s, ours "
          f"{ours / timed['exact'] / 1e9:.1f} GFLOP/s = {100 * ours / timed['exact'] / peak:.0f} % of the machine's fp32 "
          f"GEMM rate ({peak / 1e9:.1f} GFLOP/s, 1024^3 GEMM)")


if __name__ == "__main__":
    main()
