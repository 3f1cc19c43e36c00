"""Estimate GPU-hours and CPU-hours of a scale per figure and per paper, before launching anything.

    .venv/bin/python scripts/estimate_cost.py --scale paper                  # device cuda: GPU rules on a GPU
    .venv/bin/python scripts/estimate_cost.py --scale paper --papers relu_prime --csv cost.csv
    .venv/bin/python scripts/estimate_cost.py --scale quick --device cpu     # everything on CPU
    .venv/bin/python scripts/estimate_cost.py --check-rehearsal              # after tools/rehearsal
    .venv/bin/python scripts/estimate_cost.py --check-gpu                    # after tools/gpu_check on a GPU

Reads the scale's job DAG (nothing runs), prices every job with config/cost_model.yaml and calibrates the CPU
prices on the benchmark files that smaller scales left under benchmarks/ (relurepro.cost.estimate explains the model).
--check-rehearsal instead compares each compute rule's CPU seconds per step, measured by the last rehearsal run, with
its work model and flags a rule more than 3x off either way. --check-gpu compares the seconds per step that
tools/gpu_check measured on a GPU with the model's price of one step of the same rule, flagged the same way.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from relurepro.cost import step_times  # noqa: E402
from relurepro.cost.estimate import PAPERS  # noqa: E402
from relurepro.cost.report import render, run_estimate, run_step_check, step_table, write_csv  # noqa: E402
from relurepro.miniature import split_sizes  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", default="paper", choices=["smoke", "quick", "paper", "rehearsal"])
    p.add_argument("--device", default="cuda", choices=["cuda", "cpu"],
                   help="cuda: rules with resources gpu run on a GPU and count as GPU-hours (default)")
    p.add_argument("--papers", nargs="+", choices=PAPERS, help="only these papers (default: all)")
    p.add_argument("--calibrate-from", nargs="*", default=["quick"], choices=["smoke", "quick"],
                   help="scales whose benchmark files calibrate the CPU prices (none given: priors only)")
    p.add_argument("--model", default="config/cost_model.yaml", help="cost model, relative to the repository")
    p.add_argument("--csv", help="also write the per-figure table to this CSV")
    p.add_argument("--no-rules", action="store_true", help="leave out the per-rule table")
    p.add_argument("--check-rehearsal", action="store_true",
                   help="check the work models against the step times of the last tools/rehearsal run")
    p.add_argument("--check-gpu", nargs="?", const=str(step_times.path_for("cuda")), metavar="CSV",
                   help="check the prices per step against the step times tools/gpu_check measured (default: "
                   f"{step_times.path_for('cuda')})")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.check_rehearsal:
        rows = run_step_check("rehearsal", REPO, REPO / args.model, split_sizes())
        print("Work models against the rehearsal's measured CPU step times (paper-width models, miniature data):\n")
        print(step_table(rows))
        flagged = [r["rule"] for r in rows if r["verdict"].startswith("flagged")]
        print(f"\n{len(rows)} compute rules; {len(flagged)} flagged: {', '.join(flagged) or 'none'}")
        return 0
    if args.check_gpu:
        if not (REPO / args.check_gpu).is_file():
            print(f"no step times at {args.check_gpu}: run tools/gpu_check on a GPU first", file=sys.stderr)
            return 1
        checks = step_times.run_check(REPO / args.check_gpu, REPO, REPO / args.model)
        print(f"Prices per step against the step times tools/gpu_check measured ({args.check_gpu}):\n")
        print(step_times.table(checks))
        flagged = [c.measured.rule for c in checks if c.flagged]
        print(f"\n{len(checks)} steps; {len(flagged)} flagged: {', '.join(flagged) or 'none'}")
        return 0
    est = run_estimate(args.scale, args.device, args.papers, args.calibrate_from, REPO / args.model, REPO)
    est.model_path = args.model
    print(render(est, with_rules=not args.no_rules))
    if args.csv:
        write_csv(est.rows, args.csv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
