"""Shared fixtures: a private copy of the workflow to run Snakemake in, and a runner."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The environment before any test imports rpy2, which prepends R's library folders to LD_LIBRARY_PATH and so
# breaks native libraries in child processes (nbconvert's HTML export fails under it).
CLEAN_ENV = dict(os.environ)
WORKFLOW_PARTS = ["Snakefile", "workflow", "config", "scripts", "notebooks", "profiles", "envs"]


def copy_workflow(dest: Path) -> Path:
    """The workflow's files (not results) copied to `dest`, so tests never touch the checkout's outputs."""
    for part in WORKFLOW_PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, dest / part)
        elif src.exists():
            shutil.copy2(src, dest / part)
    return dest


def snakemake(workdir: Path, *args: str, timeout: int = 1200, check: bool = True) -> subprocess.CompletedProcess:
    """Run `snakemake ARGS` in `workdir` with this interpreter; on failure show its output."""
    env = {**CLEAN_ENV, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=workdir, capture_output=True, text=True,
                          timeout=timeout, env=env)
    if check and proc.returncode != 0:
        pytest.fail(f"snakemake {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n"
                    f"{proc.stderr[-8000:]}")
    return proc


@pytest.fixture(scope="module")
def one_thread():
    """Tiny nets: one torch thread is as fast, far faster on a busy machine, and the exact-zero iterations of
    the intro tests depend on the thread count. Modules opt in with pytest.mark.usefixtures("one_thread")."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def workdir(tmp_path):
    return copy_workflow(tmp_path)


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """One complete smoke-scale run of figures/all, shared by the tests that inspect its outputs."""
    root = copy_workflow(tmp_path_factory.mktemp("smoke"))
    snakemake(root, "--cores", "2", "figures/all", "--config", "scale=smoke")
    return root
