"""Preemption: a training job killed with SIGKILL at random points, again and again, and restarted each time, ends
with metrics bitwise identical to an uninterrupted run (CPU). The whole `snakemake` process group is killed, as
when a node is lost, and each restart is the command a user would run again."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import CLEAN_ENV, copy_workflow, snakemake

pytestmark = pytest.mark.workflow

# One relu_prime training job (its path names every setting): 8 runs (batch norm x alpha x seed) of 12 epochs,
# each run checkpointing after every epoch; about 10 s of training on this machine.
JOB = ("net~mlp32x2/width~1/init~default/data~mnist5k-train-512-test-200/prep~mnist/opt~sgd/lr~0.01/batch~16/"
       "epochs~12/tmax~200/mode~set/grid~off/bn~0+1/alpha~0+1/dropout~0/seeds~0-1")
TARGET = f"results/relu_prime/train/{JOB}/metrics.csv"
LOG = f"logs/relu_prime/train/{JOB}.log"
KILLS = 5
TIMING_COLUMNS = ["seconds"]  # wall time: the only column allowed to differ


def newest_checkpoint(job_dir: Path) -> float:
    return max((p.stat().st_mtime for p in job_dir.glob("*.ckpt")), default=0.0)


def run_with_kills(root: Path, rng: random.Random) -> tuple[int, list[str]]:
    """Start the job, SIGKILL it at a random moment after it has written a new checkpoint, restart; KILLS times,
    then let it finish. Returns the kills that hit a live job and every attempt's log."""
    # --nolock: a killed snakemake leaves its lock behind (a user would run `snakemake --unlock` first).
    cmd = [sys.executable, "-m", "snakemake", "--cores", "1", "--nolock", "--rerun-incomplete", TARGET,
           "--config", "scale=smoke"]
    env = {**CLEAN_ENV, "PYTHONUNBUFFERED": "1"}
    job_dir = root / Path(TARGET).parent
    kills, logs = 0, []
    for attempt in range(KILLS + 1):
        before = newest_checkpoint(job_dir)
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
        if attempt < KILLS:
            deadline = time.monotonic() + 300
            while proc.poll() is None and newest_checkpoint(job_dir) <= before and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, 2.0))  # anywhere: mid-epoch, mid-checkpoint write, while writing the CSV
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                kills += 1
        _, err = proc.communicate(timeout=600)
        logs.append((root / LOG).read_text() if (root / LOG).exists() else "")
        if proc.returncode == 0:
            break
        assert proc.returncode == -signal.SIGKILL, f"attempt {attempt} failed by itself:\n{err[-4000:]}"
    return kills, logs


def test_sigkilled_and_restarted_job_gives_bitwise_identical_metrics(tmp_path):
    (tmp_path / "reference").mkdir()
    (tmp_path / "killed").mkdir()
    reference = copy_workflow(tmp_path / "reference")
    snakemake(reference, "--cores", "1", TARGET, "--config", "scale=smoke")
    killed = copy_workflow(tmp_path / "killed")
    kills, logs = run_with_kills(killed, random.Random(8))
    resumed = sum(log.count("resumed from") for log in logs)
    print(f"{kills} SIGKILLs hit the running job; the restarts resumed {resumed} runs from checkpoints")

    assert (killed / TARGET).exists(), "the job never completed"
    assert kills >= 3, f"only {kills} of {KILLS} kills found the job still running"
    assert resumed >= 1, "no restart resumed from a checkpoint"
    a, b = (pd.read_csv(root / TARGET, dtype=str) for root in (reference, killed))
    assert len(a) == 8 * 12
    pd.testing.assert_frame_equal(a.drop(columns=TIMING_COLUMNS), b.drop(columns=TIMING_COLUMNS))
    # Nothing is left behind: the per-run checkpoints are removed once the job's CSV is written.
    assert not list((killed / TARGET).parent.glob("*.ckpt*"))
