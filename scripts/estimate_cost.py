"""Estimate GPU-hours and CPU-hours of a scale per figure and per paper, before launching anything.

    .venv/bin/python scripts/estimate_cost.py --scale paper                  # device cuda: GPU rules on a GPU
    .venv/bin/python scripts/estimate_cost.py --scale paper --papers relu_prime --csv cost.csv
    .venv/bin/python scripts/estimate_cost.py --scale quick --device cpu     # everything on CPU

Reads the scale's job DAG (nothing runs), prices every job with config/cost_model.yaml and calibrates the CPU
prices on the benchmark files that smaller scales left under benchmarks/ (relurepro.cost.estimate explains the model).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from relurepro.cost.estimate import PAPERS  # noqa: E402
from relurepro.cost.report import render, run_estimate, write_csv  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", default="paper", choices=["smoke", "quick", "paper"])
    p.add_argument("--device", default="cuda", choices=["cuda", "cpu"],
                   help="cuda: rules with resources gpu run on a GPU and count as GPU-hours (default)")
    p.add_argument("--papers", nargs="+", choices=PAPERS, help="only these papers (default: all)")
    p.add_argument("--calibrate-from", nargs="*", default=["quick"], choices=["smoke", "quick"],
                   help="scales whose benchmark files calibrate the CPU prices (none given: priors only)")
    p.add_argument("--model", default="config/cost_model.yaml", help="cost model, relative to the repository")
    p.add_argument("--csv", help="also write the per-figure table to this CSV")
    p.add_argument("--no-rules", action="store_true", help="leave out the per-rule table")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    est = run_estimate(args.scale, args.device, args.papers, args.calibrate_from, REPO / args.model, REPO)
    est.model_path = args.model
    print(render(est, with_rules=not args.no_rules))
    if args.csv:
        write_csv(est.rows, args.csv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
