"""Cost estimate of a scale before anything runs: GPU-hours and CPU-hours per figure and per paper.

Each job's work (relurepro.cost.work: multiply-accumulates, steps, measured reference seconds) is priced with the
per-rule coefficients of config/cost_model.yaml: seconds = startup + sum(coefficient x quantity). A job that asks
for a GPU (`resources: gpu`, device cuda) is priced with the GPU coefficients and counts as GPU time; every other
job with the CPU ones, as CPU time (x threads).

Calibration: the CPU coefficients of a rule are scaled by the median ratio of measured to predicted compute
seconds over the `benchmark:` files that smaller scales (quick by default) left under benchmarks/. GPU
coefficients stay priors (hardware throughput and the H100 measurements in docs/, each with its source in the
YAML): the CPU runs measure tiny nets whose speed says little about a GPU at full size. The report prints, per
rule, whether it was calibrated and the implied CPU-to-GPU speed factor, so both can be judged.

Attribution: a job that several figures need (an aggregated table, a dataset download) is split equally among
them, so the figure rows add up to the paper totals; "alone" is the cost of building that figure by itself.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from relurepro.cost.dag import JobDag, JobInfo, read_benchmark_seconds
from relurepro.cost.work import WORK
from relurepro.pipeline.config import read_yaml

PAPERS = ("relu_prime", "uniform_accuracy", "resnet_ode", "leaf", "constnet")
FIGURE = re.compile(r"^figures/([^/]+)/([^/]+)\.pdf$")
OWNED = re.compile(r"^(?:results|figures|logs)/([^/]+)/")
OTHER = "(claims, manifests)"
ALL_PAPERS = "(all papers)"


def load_model(path: str | Path) -> dict:
    with Path(path).open() as f:
        return read_yaml(f)


@dataclass(frozen=True)
class Calibration:
    multiplier: float
    benchmarks: int


@dataclass(frozen=True)
class JobCost:
    jobid: int
    rule: str
    device: str  # where it runs: cpu or gpu
    seconds: float  # wall seconds on that device
    cpu_seconds: float  # wall seconds if it ran on one CPU thread (for the speed factor)
    threads: int = 1

    @property
    def gpu_hours(self) -> float:
        return self.seconds / 3600 if self.device == "gpu" else 0.0

    @property
    def cpu_hours(self) -> float:
        return self.seconds * self.threads / 3600 if self.device == "cpu" else 0.0


class CostModel:
    """Per-rule coefficients (seconds per unit of work) for cpu and gpu, with CPU calibrations applied."""

    def __init__(self, cfg: dict, calibrations: dict[str, Calibration] | None = None):
        self.cfg = cfg
        self.rules = cfg.get("rules", {})
        self.calibrations = calibrations or {}

    def context(self) -> dict:
        return {"datasets": self.cfg["datasets"],
                "options": {rule: spec.get("options", {}) for rule, spec in self.rules.items()}}

    def work(self, job: JobInfo) -> dict[str, float] | None:
        """The job's quantities, or None for a light job (a local rule without a work model: aggregation, figure)
        priced at `light_job_s`. A compute rule (not local) without a work model is an error, never priced light."""
        fn = WORK.get(job.rule)
        if fn is not None:
            return fn(job, self.context())
        if job.local:
            return None
        raise KeyError(f"cost model: compute rule {job.rule!r} has no work model (relurepro.cost.work.WORK and "
                       "config/cost_model.yaml rules); a rule that is light says `localrule: True`")

    def coefficient(self, rule: str, device: str, quantity: str) -> float:
        """Seconds per unit; `name@bits` falls back to `name` times the device's precision factor."""
        own = self.rules.get(rule, {}).get(device, {}) or {}
        defaults = self.cfg["defaults"].get(device, {}) or {}
        if quantity in own:
            return float(own[quantity])
        name, _, bits = quantity.partition("@")
        base = own.get(name, defaults.get(name))
        if base is None:
            return 0.0
        factor = self.cfg["precision"][device].get(int(bits), 1.0) if bits else 1.0
        return float(base) * float(factor)

    def compute_seconds(self, rule: str, device: str, work: dict[str, float], calibrated: bool = True) -> float:
        seconds = sum(self.coefficient(rule, device, q) * v for q, v in work.items())
        if calibrated and device == "cpu" and rule in self.calibrations:
            seconds *= self.calibrations[rule].multiplier
        return seconds

    def job_seconds(self, job: JobInfo, device: str) -> float:
        work = self.work(job)
        if work is None:
            return float(self.cfg["light_job_s"])
        return float(self.cfg["startup_s"][device]) + self.compute_seconds(job.rule, device, work)

    def basis(self, rule: str) -> str:
        """How the rule's CPU price was set: a light-job prior, the YAML prior, or calibrated on benchmarks."""
        if rule not in WORK:
            return f"light job prior ({self.cfg['light_job_s']} s)"
        if rule in self.calibrations:
            c = self.calibrations[rule]
            return f"CPU calibrated on {c.benchmarks} benchmark(s) (x{c.multiplier:.3g} the prior)"
        return "CPU prior"


def _closest_job(jobs: list[JobInfo], wildcards: dict) -> JobInfo:
    """The job of a rule whose wildcards agree most with `wildcards` (its params stand in for a past job's)."""
    return max(jobs, key=lambda j: sum(j.wildcards.get(k) == v for k, v in wildcards.items()))


def benchmark_samples(dag: JobDag, workdir: str | Path = ".", skip: set[str] | None = None
                      ) -> list[tuple[JobInfo, float, str]]:
    """(job, measured wall seconds, benchmark path) for the benchmark files under `workdir`/benchmarks.

    A file that is the benchmark of a job of `dag` gets that job. Any other file whose path matches a rule's
    benchmark pattern (left by an earlier config of the scale) gets a job made from the path's wildcards and the
    params of the rule's job with the most wildcards in common: right wherever the path names the work (volume
    cells, training jobs), an approximation where the work is in params that changed since.
    Paths in `skip` are left out (already used by another scale).
    """
    workdir, skip = Path(workdir), set(skip or ())
    by_path = {job.benchmark: job for job in dag.jobs.values() if job.benchmark and job.rule in WORK}
    by_rule = defaultdict(list)
    for job in by_path.values():
        by_rule[job.rule].append(job)
    patterns = {rule: re.compile(p) for rule, p in dag.benchmark_patterns.items() if rule in by_rule}
    out = []
    for file in sorted((workdir / "benchmarks").rglob("*.tsv")):
        path = file.relative_to(workdir).as_posix()
        if path in skip:
            continue
        job = by_path.get(path)
        if job is None:
            for rule, pattern in patterns.items():
                m = pattern.fullmatch(path)
                if m:
                    wildcards = {k: v for k, v in m.groupdict().items() if v is not None}
                    template = _closest_job(by_rule[rule], wildcards)
                    job = JobInfo(-1, rule, {**template.wildcards, **wildcards}, template.params, benchmark=path)
                    break
        seconds = read_benchmark_seconds(file) if job else None
        if seconds is not None:
            out.append((job, seconds, path))
    return out


def _compute_samples(model: CostModel, samples: list[tuple[JobInfo, float, str]],
                     startups: dict[str, float] | None = None):
    """(job, work, measured compute seconds, uncalibrated predicted compute seconds) of every sample of a compute
    rule that is not start-up bound. Compute seconds are the wall time less the job's own start-up where
    `startups` has it (benchmark path -> seconds from the job's start to its log's first stamp, measured by
    relurepro.cost.profile), less the CPU start-up prior otherwise. Without a measured start-up, a job shorter
    than twice the prior is left out: its wall time is mostly start-up; with one, a job is left out only when
    nothing is left after it."""
    prior = float(model.cfg["startup_s"]["cpu"])
    for job, seconds, path in samples:
        measured = (startups or {}).get(path)
        if measured is None:
            compute, usable = seconds - prior, seconds >= 2 * prior
        else:
            compute, usable = seconds - measured, seconds > measured
        if usable:
            work = model.work(job)
            yield job, work, compute, model.compute_seconds(job.rule, "cpu", work, calibrated=False)


def calibrate(model: CostModel, samples: list[tuple[JobInfo, float, str]]) -> dict[str, Calibration]:
    """Per rule: sum of measured compute seconds (wall - CPU start-up) over sum of predicted ones, so that the
    longest jobs, whose wall time is mostly their work, weigh most; start-up bound jobs are left out."""
    measured, predicted, count = defaultdict(float), defaultdict(float), defaultdict(int)
    for job, _, seconds, guess in _compute_samples(model, samples):
        if guess > 0:
            measured[job.rule] += seconds
            predicted[job.rule] += guess
            count[job.rule] += 1
    return {rule: Calibration(measured[rule] / predicted[rule], count[rule]) for rule in count}


def estimate(dag: JobDag, model: CostModel, device: str) -> dict[int, JobCost]:
    """Every job's cost on the device it would run on (GPU jobs only when device is cuda)."""
    costs = {}
    for job in dag.jobs.values():
        where = "gpu" if (device == "cuda" and job.gpu) else "cpu"
        costs[job.jobid] = JobCost(job.jobid, job.rule, where, model.job_seconds(job, where),
                                   model.job_seconds(job, "cpu"), job.threads)
    return costs


# ----------------------------------------------------------------------------------------------- attribution

def figures_of(dag: JobDag) -> dict[tuple[str, str], int]:
    """(paper, figure id) -> id of the job that draws it (one job may draw several figures)."""
    out = {}
    for job in dag.jobs.values():
        for path in job.outputs:
            m = FIGURE.match(path)
            if m:
                out[(m[1], m[2])] = job.jobid
    return out


def closure(dag: JobDag, start: int) -> set[int]:
    """`start` and every job it needs, directly or not."""
    seen, todo = {start}, [start]
    while todo:
        for dep in dag.deps.get(todo.pop(), ()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def _owner(job: JobInfo) -> str | None:
    for path in job.outputs:
        m = OWNED.match(path)
        if m and m[1] in PAPERS:
            return m[1]
    return None


@dataclass
class Row:
    paper: str
    figure: str
    jobs: int = 0
    gpu_h: float = 0.0  # this row's share
    cpu_h: float = 0.0
    gpu_h_alone: float = 0.0  # building only this figure
    cpu_h_alone: float = 0.0


def figure_rows(dag: JobDag, costs: dict[int, JobCost]) -> list[Row]:
    """One row per figure (shared jobs split equally), then per paper a row for jobs that feed no figure."""
    figures = figures_of(dag)
    needs = {key: closure(dag, jobid) for key, jobid in figures.items()}
    users = defaultdict(list)
    for key, jobs in needs.items():
        for jobid in jobs:
            users[jobid].append(key)
    rows = {}
    for key, jobs in sorted(needs.items(), key=lambda kv: (PAPERS.index(kv[0][0]) if kv[0][0] in PAPERS else 99,
                                                           kv[0][1])):
        row = rows[key] = Row(*key, jobs=len(jobs))
        for jobid in jobs:
            c, share = costs[jobid], 1 / len(users[jobid])
            row.gpu_h += c.gpu_hours * share
            row.cpu_h += c.cpu_hours * share
            row.gpu_h_alone += c.gpu_hours
            row.cpu_h_alone += c.cpu_hours
    for jobid, job in dag.jobs.items():
        if jobid in users:
            continue
        key = (_owner(job) or ALL_PAPERS, OTHER)
        row = rows.setdefault(key, Row(*key))
        c = costs[jobid]
        row.jobs += 1
        for name, value in (("gpu_h", c.gpu_hours), ("cpu_h", c.cpu_hours)):
            setattr(row, name, getattr(row, name) + value)
            setattr(row, name + "_alone", getattr(row, name + "_alone") + value)
    order = {p: i for i, p in enumerate(PAPERS)}
    return sorted(rows.values(), key=lambda r: (order.get(r.paper, 99), r.figure == OTHER, r.figure))


def paper_totals(dag: JobDag, costs: dict[int, JobCost], rows: list[Row]) -> list[dict]:
    """Per paper: distinct jobs, GPU jobs, GPU-h and CPU-h (the sum of its rows' shares); then all papers."""
    figures = figures_of(dag)
    jobs_of = defaultdict(set)
    for (paper, _), jobid in figures.items():
        jobs_of[paper] |= closure(dag, jobid)
    owned = {j for s in jobs_of.values() for j in s}
    for jobid, job in dag.jobs.items():
        if jobid not in owned:
            jobs_of[_owner(job) or ALL_PAPERS].add(jobid)
    out = []
    for paper in sorted({r.paper for r in rows}, key=lambda p: PAPERS.index(p) if p in PAPERS else 99):
        mine = [r for r in rows if r.paper == paper]
        jobs = jobs_of[paper]
        out.append({"paper": paper, "jobs": len(jobs), "gpu_jobs": sum(costs[j].device == "gpu" for j in jobs),
                    "gpu_h": sum(r.gpu_h for r in mine), "cpu_h": sum(r.cpu_h for r in mine)})
    out.append({"paper": "all", "jobs": len(dag.jobs), "gpu_jobs": sum(c.device == "gpu" for c in costs.values()),
                "gpu_h": sum(c.gpu_hours for c in costs.values()), "cpu_h": sum(c.cpu_hours for c in costs.values())})
    return out


def rule_totals(dag: JobDag, costs: dict[int, JobCost], model: CostModel) -> list[dict]:
    """Per rule: jobs, device, basis of its cost, GPU-h, CPU-h, and for GPU rules the implied CPU->GPU factor."""
    by_rule = defaultdict(list)
    for c in costs.values():
        by_rule[c.rule].append(c)
    out = []
    for rule, cs in by_rule.items():
        device = "gpu" if any(c.device == "gpu" for c in cs) else "cpu"
        gpu_s = sum(c.seconds for c in cs if c.device == "gpu")
        out.append({"rule": rule, "jobs": len(cs), "device": device, "light": rule not in WORK,
                    "gpu_h": gpu_s / 3600, "cpu_h": sum(c.cpu_hours for c in cs),
                    "cpu_to_gpu": sum(c.cpu_seconds for c in cs) / gpu_s if gpu_s else None,
                    "basis": model.basis(rule) + ("; GPU prior" if device == "gpu" else "")})
    return sorted(out, key=lambda r: (-(r["gpu_h"] + r["cpu_h"]), r["rule"]))


# A rule whose measured seconds per step are further than this factor from its model's, either way, is flagged.
STEP_RATIO_LIMIT = 3.0


def ratio_verdict(ratio: float, limit: float = STEP_RATIO_LIMIT) -> str:
    """'ok', or 'flagged: <ratio>x the model' when measured / modelled is more than `limit` off either way."""
    return f"flagged: {ratio:.3g}x the model" if max(ratio, 1 / ratio) > limit else "ok"


def step_check(model: CostModel, samples: list[tuple[JobInfo, float, str]],
               startups: dict[str, float] | None = None) -> list[dict]:
    """Each compute rule's measured CPU seconds per step against its work model's, from benchmark files of one
    run (the rehearsal: paper-width models, a few steps each), one row per rule.

    `samples` are compute rules' (benchmark_samples). A job's compute seconds are its wall time less its own
    measured start-up (`startups`, by benchmark path) or, without one, the CPU start-up prior (see
    _compute_samples); they still hold the job's set-up (data, model), so a job of one or two steps gives an upper
    bound on its step time. A start-up bound job says nothing about the work model, and a rule with only such jobs
    is reported, not checked. The price is the uncalibrated model, so the check judges the YAML's priors
    themselves."""
    rules: dict[str, dict] = defaultdict(lambda: {"jobs": 0, "checked": 0, "measured": 0.0, "predicted": 0.0,
                                                  "steps": 0.0})
    for job, _, _ in samples:
        rules[job.rule]["jobs"] += 1
    for job, work, seconds, guess in _compute_samples(model, samples, startups):
        r = rules[job.rule]
        r["checked"] += 1
        r["measured"] += seconds
        r["predicted"] += guess
        r["steps"] += work.get("steps", 0.0)
    rows = []
    for rule, r in sorted(rules.items()):
        row = {"rule": rule, "jobs": r["jobs"], "checked": r["checked"], "steps": r["steps"],
               "measured_s_per_step": None, "model_s_per_step": None, "ratio": None}
        if not r["checked"]:
            row["verdict"] = "start-up bound (not checked)"
        elif r["predicted"] <= 0:
            row["verdict"] = "flagged: the model prices no CPU work"
        else:
            row["ratio"] = r["measured"] / r["predicted"]
            if r["steps"]:
                row["measured_s_per_step"] = r["measured"] / r["steps"]
                row["model_s_per_step"] = r["predicted"] / r["steps"]
            row["verdict"] = ratio_verdict(row["ratio"])
        rows.append(row)
    return rows
