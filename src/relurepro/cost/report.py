"""The cost estimate end to end (read the DAGs, calibrate, price, attribute) and its printed tables."""

from __future__ import annotations

import csv
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from relurepro.cost import estimate as cost
from relurepro.cost.dag import JobDag, load_dag


@dataclass
class Estimate:
    scale: str
    device: str
    model_path: str
    calibrated_from: list[str]
    dag: JobDag
    model: cost.CostModel
    benchmarks: int
    rows: list[cost.Row]
    papers: list[dict]
    rules: list[dict]
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def run_estimate(scale: str, device: str, papers: list[str] | None, calibrate_from: list[str], model_path: str | Path,
                 repo: str | Path) -> Estimate:
    start = time.perf_counter()
    targets = [f"figures/{p}/all" for p in papers] if papers else ["figures/all"]
    dag = load_dag(scale, device, targets, repo)
    model = cost.CostModel(cost.load_model(model_path))
    samples = []
    for small in calibrate_from:
        samples += cost.benchmark_samples(load_dag(small, "cpu", targets, repo), repo, {p for *_, p in samples})
    model.calibrations = cost.calibrate(model, samples)
    costs = cost.estimate(dag, model, device)
    rows = cost.figure_rows(dag, costs)
    est = Estimate(scale, device, str(model_path), list(calibrate_from), dag, model, len(samples), rows,
                   cost.paper_totals(dag, costs, rows), cost.rule_totals(dag, costs, model))
    est.seconds = time.perf_counter() - start
    return est


def run_step_check(scale: str, repo: str | Path, model_path: str | Path,
                   datasets: dict[str, dict[str, int]] | None = None) -> list[dict]:
    """cost.step_check on the benchmark files the `scale` run left under `repo`/benchmarks, less each job's start-up
    measured from Snakemake's metadata and the job's log (relurepro.cost.profile); `datasets` replaces the model's
    dataset sizes where the run read other data (the rehearsal's miniatures)."""
    cfg = cost.load_model(model_path)
    for name, sizes in (datasets or {}).items():
        cfg["datasets"][name] = {**cfg["datasets"].get(name, {}), **sizes}
    from relurepro.cost.profile import job_times  # here: profile imports this module's format_table

    dag = load_dag(scale, "cpu", ["figures/all"], repo)
    startups = {dag.jobs[jobid].benchmark: t.startup for jobid, t in job_times(dag, repo).items()
                if t.startup is not None and dag.jobs[jobid].benchmark}
    return cost.step_check(cost.CostModel(cfg), cost.benchmark_samples(dag, repo), startups)


def step_table(rows: list[dict]) -> str:
    def num(v):
        return "" if v is None else f"{v:.3g}"
    return format_table(["rule", "jobs", "checked", "steps", "measured s/step", "model s/step", "ratio", "verdict"],
                        [[r["rule"], r["jobs"], r["checked"], num(r["steps"]), num(r["measured_s_per_step"]),
                          num(r["model_s_per_step"]), num(r["ratio"]), r["verdict"]] for r in rows],
                        right={1, 2, 3, 4, 5, 6})


def hours(h: float) -> str:
    return "0" if h == 0 else f"{h:.3f}" if h < 1 else f"{h:.1f}" if h < 100 else f"{h:,.0f}"


def format_table(header: list[str], rows: list[list], right: set[int]) -> str:
    cells = [header] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths)))
             .rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def figure_table(rows: list[cost.Row]) -> str:
    return format_table(["paper", "figure", "jobs", "GPU-h", "CPU-h", "GPU-h alone", "CPU-h alone"],
                        [[r.paper, r.figure, r.jobs, hours(r.gpu_h), hours(r.cpu_h), hours(r.gpu_h_alone),
                          hours(r.cpu_h_alone)] for r in rows], right={2, 3, 4, 5, 6})


def paper_table(totals: list[dict]) -> str:
    return format_table(["paper", "jobs", "GPU jobs", "GPU-h", "CPU-h"],
                        [[t["paper"], t["jobs"], t["gpu_jobs"], hours(t["gpu_h"]), hours(t["cpu_h"])]
                         for t in totals], right={1, 2, 3, 4})


def rule_table(totals: list[dict]) -> str:
    """Rules with a work model one per line; the light ones (figures, tables, manifests) summed in one line."""
    rows = [[t["rule"], t["jobs"], t["device"], hours(t["gpu_h"]), hours(t["cpu_h"]),
             "" if t["cpu_to_gpu"] is None else f"{t['cpu_to_gpu']:,.0f}x", t["basis"]]
            for t in totals if not t["light"]]
    light = [t for t in totals if t["light"]]
    if light:
        rows.append([f"{len(light)} light rules", sum(t["jobs"] for t in light), "cpu", "0",
                     hours(sum(t["cpu_h"] for t in light)), "", "light job prior each (aggregation, figures)"])
    return format_table(["rule", "jobs", "runs on", "GPU-h", "CPU-h", "CPU/GPU", "basis"], rows, right={1, 3, 4, 5})


def render(est: Estimate, with_rules: bool = True) -> str:
    calibrated = ", ".join(est.calibrated_from) or "none"
    parts = [
        f"COST ESTIMATE (not a measurement): scale {est.scale}, device {est.device}, {len(est.dag.jobs)} jobs.",
        f"Based on {est.model_path}: CPU prices calibrated on {est.benchmarks} benchmark file(s) of scale(s) "
        f"{calibrated} ({len(est.model.calibrations)} rules), other prices are the file's priors; GPU prices are "
        "for one H100 in strict fp32 (the file says which were measured, by tools/gpu_check). GPU jobs count as "
        "GPU-h only.",
        "Jobs several figures need are split equally among them; 'alone' = building only that figure.",
        "", figure_table(est.rows), "", "Per paper", "", paper_table(est.papers)]
    if with_rules:
        parts += ["", "Per rule (CPU/GPU: the job's one-thread CPU price over its GPU price)", "",
                  rule_table(est.rules)]
    parts += ["", f"Estimated in {est.seconds:.1f} s"]
    return "\n".join(parts)


def write_csv(rows: list[cost.Row], path: str | Path) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(asdict(rows[0])))
        writer.writeheader()
        writer.writerows(asdict(r) for r in rows)
