"""The job DAG of a scale without running anything: every job's rule, wildcards, params, outputs, benchmark path,
GPU request and dependencies, read through Snakemake's Python API (used by the cost estimate, relurepro.cost.estimate).

Snakemake's public API prints DAGs but does not hand them out; building one in-process needs two private calls
(`Workflow._prepare_dag`, `Workflow._build_dag`, as `snakemake --dag` makes them) and one private attribute
(`Workflow._localrules`, the rules that say `localrule: True`). They are isolated here, and
tests/workflow/test_cost.py builds a real DAG, so a Snakemake upgrade that changes them fails loudly there.
"""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from relurepro.pipeline.rules import base_rule


@dataclass(frozen=True)
class JobInfo:
    """What the cost model needs to know about one job."""

    jobid: int
    rule: str
    wildcards: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    outputs: tuple[str, ...] = ()
    benchmark: str | None = None
    gpu: bool = False
    threads: int = 1
    local: bool = False  # `localrule: True`: a light step on the submit host, priced as a light job
    runner: str = "python"  # what the job starts: python | R | notebook | shell (runner_of)
    log: str | None = None  # the job's log file


def runner_of(rule) -> str:
    """What a Snakemake rule's job starts: an R or Python script, a papermill notebook, or a shell command."""
    if rule.notebook or "papermill" in str(rule.shellcmd or ""):
        return "notebook"
    if rule.script:
        return "R" if str(rule.script).endswith(".R") else "python"
    return "shell"


@dataclass
class JobDag:
    """Jobs by id, for each job the ids of the jobs it directly needs, and each rule's benchmark path pattern
    (a regular expression with the wildcards as named groups, constraints included)."""

    jobs: dict[int, JobInfo]
    deps: dict[int, set[int]]
    benchmark_patterns: dict[str, str] = field(default_factory=dict)


def _plain(value):
    """Snakemake's named lists and wrapped values as plain Python data (params keep dicts and lists)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


@dataclass(frozen=True)
class RuleInfo:
    """Where a rule runs and what the cost estimate needs of it: `local` for `localrule: True` (a light step on the
    submit host), else a compute rule with a benchmark path."""

    name: str
    snakefile: str  # the rule file that defines it, relative to the workflow folder
    local: bool
    benchmark: str | None


@contextlib.contextmanager
def _parsed(scale: str, device: str, workdir: Path):
    """The workflow at `workdir` parsed for the scale and device (the Workflow object; nothing runs)."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, OutputSettings, Quietness, ResourceSettings

    cwd = os.getcwd()
    config = {"scale": scale, "device": device}
    # Snakemake logs "Building DAG of jobs..." to stderr even when quiet; the estimate prints its own report.
    # The workflow API changes into workdir; the caller gets its working directory back.
    with contextlib.redirect_stderr(io.StringIO()), contextlib.chdir(cwd), \
            SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
        workflow_api = api.workflow(resource_settings=ResourceSettings(cores=1),
                                    config_settings=ConfigSettings(config=config),
                                    snakefile=workdir / "Snakefile", workdir=workdir)
        yield workflow_api


def load_rules(scale: str, workdir: str | Path = ".", device: str = "cpu") -> tuple[dict[str, RuleInfo], dict]:
    """Every rule of the workflow at `scale` (name -> RuleInfo) and its figure registry (paper -> figure id ->
    labelled deviations, workflow/common.smk), parsed without building a DAG."""
    workdir = Path(workdir).resolve()
    with _parsed(scale, device, workdir) as workflow_api:
        workflow = workflow_api._workflow
        rules = {}
        for rule in workflow.rules:
            snakefile = Path(rule.snakefile)
            rules[rule.name] = RuleInfo(
                rule.name, str(snakefile.relative_to(workdir) if snakefile.is_absolute() else snakefile),
                rule.name in workflow._localrules, str(rule.benchmark) if rule.benchmark else None)
        figures = workflow.globals["FIGURES"].as_dict()
    return rules, figures


def load_dag(scale: str, device: str, targets: list[str], workdir: str | Path = ".") -> JobDag:
    """Every job needed to build `targets` from scratch (forceall: existing outputs do not prune the DAG). A pack
    rule's jobs carry the rule they run (relurepro.pipeline.rules.base_rule)."""
    from snakemake.settings.types import DAGSettings

    with _parsed(scale, device, Path(workdir).resolve()) as workflow_api:
        workflow_api.dag(DAGSettings(targets=set(targets), forceall=True))
        workflow = workflow_api._workflow
        workflow._prepare_dag(forceall=True, ignore_incomplete=True, lock_warn_only=True, nolock=True)
        workflow._build_dag()
        dag = workflow.dag
        local = set(workflow._localrules)  # the rules that say `localrule: True` (no public accessor)
        jobs, deps = {}, {}
        for job in dag.jobs:
            jobs[job.jobid] = JobInfo(
                jobid=job.jobid, rule=base_rule(job.rule.name),
                wildcards={k: str(v) for k, v in job.wildcards.items()},
                params={k: _plain(v) for k, v in job.params.items()},
                outputs=tuple(str(f) for f in job.output),
                benchmark=str(job.benchmark) if job.benchmark else None,
                gpu=bool(job.resources.get("gpu", 0)), threads=int(job.threads), local=job.rule.name in local,
                runner=runner_of(job.rule), log=str(job.log[0]) if job.log else None)
            deps[job.jobid] = {dep.jobid for dep in dag.dependencies[job]}
        patterns = {rule.name: rule.benchmark.regex().pattern for rule in workflow.rules if rule.benchmark}
    return JobDag(jobs, deps, patterns)


def read_benchmark_seconds(path: str | Path) -> float | None:
    """Mean wall seconds (column `s`) of a Snakemake benchmark TSV; None when absent or unreadable."""
    path = Path(path)
    if not path.is_file() or os.path.getsize(path) == 0:
        return None
    lines = path.read_text().splitlines()
    if len(lines) < 2:
        return None
    header = lines[0].split("\t")
    if "s" not in header:
        return None
    column = header.index("s")
    try:
        values = [float(line.split("\t")[column]) for line in lines[1:] if line.strip()]
    except (ValueError, IndexError):
        return None
    return sum(values) / len(values) if values else None
