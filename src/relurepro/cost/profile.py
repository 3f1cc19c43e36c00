"""Where the wall time of a finished run went (tools/profile_quick): per rule the job count, summed job seconds and
start-up share, and the run's critical path.

A job's seconds are its benchmark file's (`s`, the job's own process) where its rule has one, else the start and
end that Snakemake recorded for its first output in .snakemake/metadata (local rules: figures, reports).

A job's start-up is measured where it can be: from Snakemake's recorded start to the first time-stamped line of
the job's log (relurepro.pipeline.jobs.start writes it once the script's imports are done). A job without such a
log (R scripts, notebooks) counts the start-up of a fresh interpreter of its kind, measured on this machine
(STARTUP_COMMANDS).

The critical path is the chain of dependent jobs with the most seconds: no number of cores finishes the run
faster than it.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from relurepro.cost.dag import JobDag, read_benchmark_seconds
from relurepro.cost.report import format_table

# A fresh interpreter importing what a job of each runner (relurepro.cost.dag.runner_of) loads before its work:
# a Python script snakemake's preamble, torch, pandas and matplotlib; an R script its plotting packages; a notebook
# papermill and a kernel's imports (a lower bound: the kernel's own start is not in it); a shell job a Python.
STARTUP_COMMANDS = {
    "python": [sys.executable, "-c", "import snakemake.script, torch, pandas, matplotlib.pyplot, relurepro.pipeline.jobs"],
    "R": ["Rscript", "-e", "suppressMessages({library(ggplot2); library(data.table); library(svglite)})"],
    "notebook": [sys.executable, "-c", "import papermill, torch, pandas, matplotlib.pyplot"],
    "shell": [sys.executable, "-c", "import relurepro"],
}


# The time stamp relurepro.pipeline.jobs' logging puts at the start of a line (local time, milliseconds).
STAMP_FORMAT, STAMP_LENGTH = "%Y-%m-%d %H:%M:%S,%f", len("2026-01-01 00:00:00,000")


@dataclass(frozen=True)
class JobTime:
    seconds: float
    source: str  # benchmark | metadata
    start: float | None = None  # epoch seconds, where metadata has them
    end: float | None = None
    startup: float | None = None  # recorded start -> first log stamp, where both exist


def first_stamp(path: str | Path) -> float | None:
    """Epoch seconds of the first time-stamped line of a job log (None without one)."""
    try:
        with open(path, errors="replace") as f:
            for line in f:
                try:
                    return datetime.datetime.strptime(line[:STAMP_LENGTH], STAMP_FORMAT).timestamp()
                except ValueError:
                    continue
    except OSError:
        return None
    return None


def metadata_records(workdir: str | Path) -> dict[str, dict]:
    """Snakemake's per-output records under `workdir`/.snakemake/metadata, by output path. The file name is the
    path in URL-safe base64, split into '@'-prefixed folders where it is longer than a file name may be."""
    root = Path(workdir) / ".snakemake" / "metadata"
    records = {}
    for folder, _, files in os.walk(root):
        prefix = "".join(part[1:] for part in Path(folder).relative_to(root).parts)
        for name in files:
            try:
                path = base64.urlsafe_b64decode(prefix + name).decode()
                records[path] = json.loads((Path(folder) / name).read_text())
            except (ValueError, json.JSONDecodeError):
                continue  # not a record (a lock or a half-written file)
    return records


def job_times(dag: JobDag, workdir: str | Path = ".") -> dict[int, JobTime]:
    """The measured seconds of every job of `dag` that ran under `workdir` (jobs never run are left out)."""
    workdir = Path(workdir)
    records = metadata_records(workdir)
    out = {}
    for job in dag.jobs.values():
        record = next((records[o] for o in job.outputs if o in records), None)
        start = end = None
        if record and record.get("starttime") and record.get("endtime"):
            start, end = float(record["starttime"]), float(record["endtime"])
        stamp = first_stamp(workdir / job.log) if job.log and start is not None else None
        startup = stamp - start if stamp is not None and start <= stamp <= end else None
        seconds = read_benchmark_seconds(workdir / job.benchmark) if job.benchmark else None
        if seconds is not None:
            out[job.jobid] = JobTime(seconds, "benchmark", start, end, startup)
        elif start is not None:
            out[job.jobid] = JobTime(end - start, "metadata", start, end, startup)
    return out


def measure_startup(command: list[str], repeats: int = 3) -> float:
    """Median wall seconds of `command` (a fresh interpreter importing what a job imports)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure_startups(runners, repeats: int = 3) -> dict[str, float]:
    """Start-up seconds of each runner in `runners`, measured here."""
    return {runner: measure_startup(STARTUP_COMMANDS[runner], repeats) for runner in sorted(set(runners))}


def rule_rows(dag: JobDag, times: dict[int, JobTime], startups: dict[str, float]) -> list[dict]:
    """Per rule, most summed seconds first: jobs, jobs measured, summed and mean seconds, start-up seconds (each
    job's measured one, else its runner's measured here; at most the job's seconds), the start-up share, and how
    many jobs' start-up came from their logs."""
    rows = {}
    for job in dag.jobs.values():
        row = rows.setdefault(job.rule, dict(rule=job.rule, runner=job.runner, jobs=0, measured=0, seconds=0.0,
                                             startup_s=0.0, from_logs=0))
        row["jobs"] += 1
        t = times.get(job.jobid)
        if t is None:
            continue
        row["measured"] += 1
        row["seconds"] += t.seconds
        if t.startup is not None:
            row["from_logs"] += 1
            row["startup_s"] += min(t.seconds, t.startup)
        else:
            row["startup_s"] += min(t.seconds, startups[job.runner])
    for row in rows.values():
        n, total = row["measured"], row["seconds"]
        row["mean_s"] = total / n if n else 0.0
        row["startup_share"] = row["startup_s"] / total if total > 0 else 0.0
    return sorted(rows.values(), key=lambda r: (-r["seconds"], r["rule"]))


def critical_path(dag: JobDag, times: dict[int, JobTime]) -> list[int]:
    """The chain of dependent jobs with the most measured seconds, first job first (unmeasured jobs count 0)."""
    best: dict[int, tuple[float, int | None]] = {}  # job -> (seconds of the heaviest chain ending here, previous)

    def visit(jobid: int) -> float:
        if jobid not in best:
            before = max(((visit(d), d) for d in dag.deps.get(jobid, ())), default=(0.0, None))
            own = times[jobid].seconds if jobid in times else 0.0
            best[jobid] = (before[0] + own, before[1])
        return best[jobid][0]

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(dag.jobs) + 100))
    if not dag.jobs:
        return []
    end = max(dag.jobs, key=visit)
    chain = []
    while end is not None:
        chain.append(end)
        end = best[end][1]
    return chain[::-1]


def wall_seconds(times: dict[int, JobTime]) -> float | None:
    """First recorded start to last recorded end (None without metadata)."""
    spans = [(t.start, t.end) for t in times.values() if t.start is not None]
    return max(e for _, e in spans) - min(s for s, _ in spans) if spans else None


def busy_profile(times: dict[int, JobTime], cores: int) -> dict[int, float]:
    """Seconds of the run's wall time with k jobs running, k = 0..cores (more than `cores` counts as `cores`), from
    the recorded starts and ends: time with fewer than `cores` jobs is a core left idle (a tail, or waiting)."""
    # A start sorts before an end at the same instant, so a job recorded with no duration never counts below 0.
    events = sorted((e for t in times.values() if t.start is not None for e in ((t.start, 1), (t.end, -1))),
                    key=lambda e: (e[0], -e[1]))
    out = {k: 0.0 for k in range(cores + 1)}
    running, last = 0, None
    for when, step in events:
        if last is not None:
            out[min(running, cores)] += when - last
        running, last = running + step, when
    return out


def render(dag: JobDag, times: dict[int, JobTime], startups: dict[str, float], cores: int) -> str:
    rows = rule_rows(dag, times, startups)
    total = sum(r["seconds"] for r in rows)
    jobs = sum(r["jobs"] for r in rows)
    measured = sum(r["measured"] for r in rows)
    path = critical_path(dag, times)
    path_s = sum(times[j].seconds for j in path if j in times)
    wall = wall_seconds(times)
    startup_total = sum(r["startup_s"] for r in rows)
    from_logs = sum(r["from_logs"] for r in rows)
    lines = [
        f"jobs: {jobs} in the DAG, {measured} measured; summed job time {total / 60:.1f} min",
        "wall (first start to last end, from .snakemake/metadata): "
        + (f"{wall / 60:.1f} min" if wall is not None else "not recorded"),
        f"start-up: {startup_total / 60:.1f} min of the summed time ({startup_total / max(total, 1e-9):.0%}); {from_logs} jobs "
        f"measured from their logs, the others at a fresh interpreter's start-up measured here ("
        + ", ".join(f"{runner} {s:.2f} s" for runner, s in startups.items()) + ")",
        f"bounds on {cores} cores: summed time / cores {total / cores / 60:.1f} min; critical path "
        f"{path_s / 60:.1f} min",
        "wall time with k jobs running: " + ", ".join(
            f"{k}: {s / 60:.1f} min" for k, s in busy_profile(times, cores).items()),
        "",
        format_table(["rule", "runs", "jobs", "measured", "summed s", "mean s", "start-up share"],
                     [[r["rule"], r["runner"], r["jobs"], r["measured"], f"{r['seconds']:.1f}", f"{r['mean_s']:.1f}",
                       f"{r['startup_share']:.0%}"] for r in rows], right={2, 3, 4, 5, 6}),
        "",
        "critical path (first job first):",
        format_table(["rule", "s", "output"],
                     [[dag.jobs[j].rule, f"{times[j].seconds:.1f}" if j in times else "-",
                       dag.jobs[j].outputs[0] if dag.jobs[j].outputs else ""] for j in path], right={1}),
    ]
    return "\n".join(lines)
