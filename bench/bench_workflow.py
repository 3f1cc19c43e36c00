"""Benchmark of planning, not a test: how long Snakemake takes to plan this workflow, against Snakemake planning a
one-rule workflow on the same machine in the same run (its own start-up, which no change here can remove).

- baseline: `snakemake -n` on a one-rule Snakefile in a temporary folder;
- paper dry-run: `snakemake -n figures/all --config scale=paper` in this checkout (2,800+ jobs, nothing run);
- no-op rebuild: `snakemake --cores 1 figures/all --config scale=<scale>` where that scale's figures are up to
  date (skipped, and said so, where they are not: build them first, e.g. `make figures`).

Each is the median of --repeats runs, with the ratio to the baseline.

    python bench/bench_workflow.py [--repeats 3] [--noop-scale quick]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
BARE = 'rule all:\n    output: "done.txt"\n    shell: "touch {output}"\n'


def timed(args: list[str], cwd: Path, repeats: int, expect: str) -> float:
    """Median wall seconds of `snakemake args` in `cwd`; each run must exit 0 and print `expect`."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        proc = subprocess.run([SNAKEMAKE, *args], cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0 or expect not in proc.stdout + proc.stderr:
            sys.exit(f"snakemake {' '.join(args)} in {cwd}: exit {proc.returncode}, {expect!r} not printed\n"
                     + proc.stderr[-2000:])
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--noop-scale", default="quick", help="the scale whose finished run the no-op rebuild uses")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "Snakefile").write_text(BARE)
        bare = timed(["-n", "--cores", "1"], Path(tmp), args.repeats, "rule all")
    rows = [("baseline: one-rule workflow, dry-run", bare)]
    rows.append(("paper-scale dry-run, figures/all",
                 timed(["-n", "figures/all", "--config", "scale=paper"], ROOT, args.repeats, "This was a dry-run")))
    check = subprocess.run([SNAKEMAKE, "-n", "figures/all", "--config", f"scale={args.noop_scale}"], cwd=ROOT,
                           capture_output=True, text=True)
    if "Nothing to be done" in check.stdout + check.stderr:
        rows.append((f"no-op rebuild, {args.noop_scale} figures/all",
                     timed(["--cores", "1", "figures/all", "--config", f"scale={args.noop_scale}"], ROOT,
                           args.repeats, "Nothing to be done")))
    else:
        print(f"no-op rebuild skipped: {args.noop_scale} figures/all is not up to date in {ROOT}")
    print(f"median of {args.repeats} runs each, {sys.platform}, Snakemake at {SNAKEMAKE}")
    print(f"{'what':45s} {'s':>7s} {'x baseline':>11s}")
    for what, seconds in rows:
        print(f"{what:45s} {seconds:7.2f} {seconds / bare:11.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
