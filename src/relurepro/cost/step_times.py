"""Measured seconds per step (tools/gpu_check) against the cost model's price of one step of the same rule.

tools/gpu_check times one training step of each GPU rule's paper-width model at the paper's batch and writes them to
benchmarks/gpu_check/step_times_<device>.csv (COLUMNS; `write` and `read` here, so writer and reader agree). A row's
`job` names the fields of the run it timed (`net=vgg11;bn=0`): the priced job is the first job of the rule in the
paper DAG whose wildcards (and the `key~value` parts of a path wildcard) hold those values. Its price per step is
its compute seconds on that device (config/cost_model.yaml, start-up left out) over its optimiser steps, and a rule
whose measured time is more than STEP_RATIO_LIMIT times off, either way, is flagged. Rows whose size tools/gpu_check
cut for the CPU are read but not compared, and rules priced per job (no steps) have no price per step.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from relurepro.cost import work as cost_work
from relurepro.cost.dag import JobDag, JobInfo, load_dag
from relurepro.cost.estimate import STEP_RATIO_LIMIT, CostModel, load_model, ratio_verdict
from relurepro.cost.report import format_table

COLUMNS = ("rule", "device", "device_name", "seconds_per_step", "model", "batch", "paper_size", "job")
FOLDER = Path("benchmarks") / "gpu_check"
DEVICES = ("cpu", "cuda")


def path_for(device: str, folder: str | Path = FOLDER) -> Path:
    """Where the step times of one device go: one file per device, so a CPU run never overwrites a GPU's."""
    return Path(folder) / f"step_times_{device}.csv"


@dataclass(frozen=True)
class StepTime:
    """One measured step: the rule, where it ran, what was timed, and whether at the paper's size."""

    rule: str
    device: str  # cpu | cuda
    device_name: str
    seconds_per_step: float
    model: str
    batch: int
    paper_size: bool  # False: tools/gpu_check --quick cut the model or batch, so no price applies
    job: dict  # field -> value of the run it timed, picks the priced job


def _job_text(job: dict) -> str:
    return ";".join(f"{k}={v}" for k, v in job.items())


def _job_fields(text: str) -> dict:
    pairs = [part.partition("=") for part in text.split(";") if part]
    if any(not sep or not key for key, sep, _ in pairs):
        raise ValueError(f"job selector {text!r} is not key=value;key=value")
    return {key: value for key, _, value in pairs}


def write(rows: list[StepTime], path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for r in rows:
            writer.writerow([r.rule, r.device, r.device_name, repr(r.seconds_per_step), r.model, r.batch,
                             int(r.paper_size), _job_text(r.job)])


def read(path: str | Path) -> list[StepTime]:
    """The rows of a step-times CSV; a wrong header or an unreadable row is an error naming the file and line."""
    path = Path(path)
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    if not rows or tuple(rows[0]) != COLUMNS:
        raise ValueError(f"{path}: expected columns {list(COLUMNS)}, found {rows[0] if rows else 'an empty file'}")
    out = []
    for line, row in enumerate(rows[1:], start=2):
        try:
            values = dict(zip(COLUMNS, row, strict=True))
            seconds = float(values["seconds_per_step"])
            if values["device"] not in DEVICES or not seconds > 0 or values["paper_size"] not in ("0", "1"):
                raise ValueError(f"device {values['device']!r}, seconds {seconds}, paper_size "
                                 f"{values['paper_size']!r}")
            out.append(StepTime(values["rule"], values["device"], values["device_name"], seconds, values["model"],
                                int(values["batch"]), values["paper_size"] == "1", _job_fields(values["job"])))
        except ValueError as err:
            raise ValueError(f"{path}, line {line}: {err}") from None
    return out


def job_fields(job: JobInfo) -> dict[str, str]:
    """A job's wildcards, plus the `key~value` parts of a wildcard that holds a run path (rp_train's `job`)."""
    fields = dict(job.wildcards)
    for value in job.wildcards.values():
        for part in value.split("/"):
            key, sep, v = part.partition("~")
            if sep:
                fields.setdefault(key, v)
    return fields


def priced_job(dag: JobDag, rule: str, selector: dict) -> JobInfo | None:
    """The first job of `rule` (by job id) whose fields hold every value of `selector`; None if none does."""
    for jobid in sorted(dag.jobs):
        job = dag.jobs[jobid]
        if job.rule == rule:
            fields = job_fields(job)
            if all(fields.get(k) == str(v) for k, v in selector.items()):
                return job
    return None


def steps_of(job: JobInfo, work: dict, ctx: dict) -> float | None:
    """Optimiser steps (or Monte-Carlo batches) of one job: the `steps` its work counts. resnet_ode's rules priced
    by measured H100 step times have none; their steps are counted as their work functions count them (epochs x
    training batches). None for a rule priced per job."""
    if "steps" in work:
        return work["steps"]
    if "gpu_ref_s" not in work:
        return None
    # The same configs and dataset sizes as resnet_ode's work functions read (work.py's helpers for them).
    runs = 1
    if job.rule == "ro_tiny_train":
        cfg = job.params["recipe"]
        n_train = cost_work.dataset_size(ctx, cfg["dataset"], "train")
        runs = len(job.params.get("runs") or [None])  # a pack: its runs' steps
    else:
        cfg, dataset = cost_work._ro_paper_cfg(job)
        n_train = (cost_work._imagenet_images(ctx, "train", cfg) if dataset == "imagenet"
                   else cost_work.dataset_size(ctx, dataset, "train"))
    return runs * cfg["epochs"] * math.ceil(n_train / cfg["batch"])


def step_price(model: CostModel, job: JobInfo, device: str) -> float | None:
    """The model's compute seconds of one step of `job` on `device` (cpu | cuda); None without a step count."""
    work = model.work(job)
    steps = steps_of(job, work or {}, model.context())
    if not steps:
        return None
    return model.compute_seconds(job.rule, "gpu" if device == "cuda" else "cpu", work) / steps


@dataclass(frozen=True)
class StepCheck:
    measured: StepTime
    price: float | None  # the model's seconds per step, None where not compared
    verdict: str  # ok | flagged: ... | not compared: ...

    @property
    def ratio(self) -> float | None:
        return self.measured.seconds_per_step / self.price if self.price else None

    @property
    def flagged(self) -> bool:
        return self.verdict.startswith("flagged")


def check(row: StepTime, dag: JobDag, model: CostModel, limit: float = STEP_RATIO_LIMIT) -> StepCheck:
    """One measured step against the price of one step of its paper job (or why it is not compared)."""
    if not row.paper_size:
        return StepCheck(row, None, "not compared: size cut for the CPU")
    job = priced_job(dag, row.rule, row.job)
    if job is None:
        return StepCheck(row, None, f"not compared: no {row.rule} job of the DAG has {_job_text(row.job)}")
    price = step_price(model, job, row.device)
    if price is None:
        return StepCheck(row, None, "not compared: the model prices this rule per job, not per step")
    if price <= 0:
        return StepCheck(row, price, "flagged: the model prices no work on this device")
    return StepCheck(row, price, ratio_verdict(row.seconds_per_step / price, limit))


def compare(rows: list[StepTime], dag: JobDag, model: CostModel, limit: float = STEP_RATIO_LIMIT) -> list[StepCheck]:
    """Each measured step against the model's price of one step of its rule (module docstring)."""
    return [check(row, dag, model, limit) for row in rows]


def run_check(csv_path: str | Path, repo: str | Path, model_path: str | Path) -> list[StepCheck]:
    """The rows of `csv_path` against the paper DAG planned for CUDA, priced by the uncalibrated model (the check
    judges the YAML's priors, as scripts/estimate_cost.py --check-rehearsal does)."""
    dag = load_dag("paper", "cuda", ["figures/all"], repo)
    return compare(read(csv_path), dag, CostModel(load_model(model_path)))


def table(checks: list[StepCheck]) -> str:
    """rule, device, what was timed, measured and model seconds per step, their ratio, the verdict."""
    def num(v):
        return "" if v is None else f"{v:.3g}"
    rows = [[c.measured.rule, c.measured.device_name or c.measured.device,
             f"{c.measured.model}, batch {c.measured.batch}", num(c.measured.seconds_per_step), num(c.price),
             num(c.ratio), c.verdict] for c in checks]
    return format_table(["rule", "device", "timed", "measured s/step", "model s/step", "ratio", "verdict"], rows,
                        right={3, 4, 5})
