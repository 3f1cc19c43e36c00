"""The cluster path, for real: a one-node SLURM cluster on loopback (tests/slurm_cluster.py) runs the smoke scale of
one relu_prime figure through profiles/slurm with real sbatch, as the README's cluster section tells a user to.

One run, shared by the tests below: two training jobs (each trains 8 runs with a checkpoint per epoch) become SLURM
jobs on the node's (fake) GPUs, the aggregation and the figure run on the submit host, and one training job is
requeued by SLURM midway (`scontrol requeue`, as preemption does) and must resume from its checkpoint.
"""

import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import CLEAN_ENV, copy_workflow
from slurm_cluster import ClusterUnavailable, start_cluster, stop_cluster

pytestmark = [pytest.mark.workflow, pytest.mark.slurm]

TARGET = "figures/relu_prime/mnist_sgd_test.pdf"
TRAIN_RULE = "rp_train"
LOCAL_RULES = ("rp_train_figures__mnist_sgd",)  # the table and its figures
# The README's settings for a cluster without an accounting database, and status checks fast enough for a test
# (a real cluster keeps the plugin's defaults); logs of successful jobs kept to be inspected.
CLUSTER_FLAGS = ("--slurm-no-account", "--slurm-status-command", "squeue", "--slurm-requeue",
                 "--slurm-keep-successful-logs", "--slurm-init-seconds-before-status-checks", "1",
                 "--seconds-between-status-checks", "2")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    try:
        cluster = start_cluster(tmp_path_factory.mktemp("slurm"))
    except ClusterUnavailable as e:
        pytest.skip(f"no local SLURM cluster: {e}")
    print(f"SLURM cluster started in {cluster.started_in_s:.1f} s")
    yield cluster
    stop_cluster(cluster)


@dataclass
class ClusterRun:
    root: Path
    proc: subprocess.CompletedProcess
    requeued: str  # the SLURM job id that was requeued midway
    seconds: float

    @property
    def output(self) -> str:
        return self.proc.stdout + self.proc.stderr


def _job_of_rule(cluster, rule: str) -> str | None:
    """The id of a running job of `rule` (the plugin puts the rule in the job's comment)."""
    out = cluster.run("squeue", "-h", "-t", "RUNNING", "-o", "%i %k", check=False).stdout
    for line in out.splitlines():
        job, _, comment = line.partition(" ")
        if comment.startswith(f"rule_{rule}"):
            return job
    return None


def _requeue_after_first_checkpoint(cluster, root: Path, proc: subprocess.Popen, timeout: float = 300) -> str:
    """Wait until a training job has written a checkpoint, then stop it and have SLURM requeue it: the job is
    suspended first so that it cannot finish between the check and the requeue."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        job = _job_of_rule(cluster, TRAIN_RULE)
        if job and any((root / "results" / "relu_prime" / "train").rglob("*.ckpt")):
            cluster.run("scontrol", "suspend", job)
            cluster.run("scontrol", "requeue", job)
            # SLURM holds a job requeued while suspended (JobHeldAdmin) and starts a requeued job no sooner than
            # two minutes later (BeginTime): once it is pending, release it and let it start now.
            while "PENDING" not in cluster.run("squeue", "-h", "-j", job, "-o", "%T").stdout:
                if time.monotonic() > deadline:
                    raise AssertionError(f"requeued job {job} never became pending")
                time.sleep(0.2)
            cluster.run("scontrol", "release", job)
            cluster.run("scontrol", "update", f"JobId={job}", "StartTime=now")
            return job
        time.sleep(0.1)
    raise AssertionError("no training job wrote a checkpoint while running under SLURM")


@pytest.fixture(scope="module")
def cluster_run(cluster, tmp_path_factory):
    root = copy_workflow(tmp_path_factory.mktemp("cluster_run"))
    env = {**CLEAN_ENV, **cluster.env, "PYTHONUNBUFFERED": "1", "RELUREPRO_GPU_LOCK_DIR": str(root / "gpu-locks")}
    cmd = [sys.executable, "-m", "snakemake", "--workflow-profile", "profiles/slurm", TARGET, "--config",
           "scale=smoke", *CLUSTER_FLAGS]
    start = time.monotonic()
    with open(root / "snakemake.out", "w") as out, open(root / "snakemake.err", "w") as err:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=err, text=True)
        try:
            requeued = _requeue_after_first_checkpoint(cluster, root, proc)
            proc.wait(timeout=600)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    done = subprocess.CompletedProcess(cmd, proc.returncode, (root / "snakemake.out").read_text(),
                                       (root / "snakemake.err").read_text())
    run = ClusterRun(root=root, proc=done, requeued=requeued, seconds=time.monotonic() - start)
    print(f"smoke figure through SLURM in {run.seconds:.1f} s (job {requeued} requeued)")
    assert done.returncode == 0, f"snakemake on SLURM failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return run


def _train_logs(root: Path) -> list[Path]:
    return sorted((root / "logs" / "relu_prime" / "train").rglob("*.log"))


def test_the_figure_is_built_through_slurm(cluster_run):
    pdf = cluster_run.root / TARGET
    assert pdf.read_bytes()[:4] == b"%PDF"


def test_training_jobs_ran_as_slurm_jobs(cluster, cluster_run):
    logs = _train_logs(cluster_run.root)
    assert len(logs) == 2
    ids = [re.search(r"SLURM job (\d+) on node (\S+)", log.read_text()) for log in logs]
    assert all(ids), "a training job's log has no SLURM job id"
    assert {m[2] for m in ids} == {cluster.node}
    # SLURM's own record of the jobs (squeue keeps finished ones for MinJobAge) and the plugin's per-job logs agree.
    known = dict(line.split() for line in cluster.run("squeue", "-h", "-t", "all", "-o", "%i %T").stdout.splitlines())
    plugin_logs = cluster_run.root / ".snakemake" / "slurm_logs" / f"rule_{TRAIN_RULE}"
    slurm_logs = {p.stem for p in plugin_logs.rglob("*.log")}
    for m in ids:
        assert known.get(m[1]) == "COMPLETED", (m[1], known)
        assert m[1] in slurm_logs


def test_aggregation_and_figure_ran_on_the_submit_host(cluster_run):
    for rule in LOCAL_RULES:
        assert re.search(rf"^localrule {rule}:", cluster_run.output, re.M), rule
    log = cluster_run.root / "logs" / "relu_prime" / "train_mnist_sgd.log"
    assert "SLURM job" not in log.read_text(), log


def test_gpu_jobs_use_the_gpu_of_their_allocation(cluster_run):
    for log in _train_logs(cluster_run.root):
        text = log.read_text()
        job = re.search(r"SLURM job (\d+)", text)[1]
        lease = re.search(r"GPU (\d+) leased .*lock (\S+)", text)
        assert lease, f"{log}: no GPU lease under a --gpus=1 allocation"
        assert lease[1] in {"0", "1"} and f"slurm-{job}" in lease[2]


def test_the_requeued_job_resumed_from_its_checkpoint(cluster_run):
    logs = [log for log in _train_logs(cluster_run.root)
            if f"SLURM job {cluster_run.requeued} " in log.read_text()]
    assert len(logs) == 1
    text = logs[0].read_text()
    assert re.search(r"resumed from \S+\.ckpt after epoch [12]", text), text[-3000:]
    # The job was not started over: its runs finished before the requeue were not trained again.
    assert text.count("resumed from") >= 1
