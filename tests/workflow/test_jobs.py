"""A job's start and resume checkpoint (relurepro.pipeline.jobs): torch's numerics set before any torch work, also
when the job imports torch only after it started, and never paid by a job that does not; the checkpoint named by what
the job runs, logged when resumed, deleted once the job's outputs are written."""

import logging
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from relurepro.pipeline import jobs


class Named(dict):
    """Snakemake's params/wildcards: a mapping with items()."""


def job(tmp_path, **params):
    data = tmp_path / "input.txt"
    data.write_text("inputs")
    return SimpleNamespace(params=Named(params), wildcards=Named(seed="1"), input=[str(data)])


START = """
import sys
from types import SimpleNamespace
{before}
from relurepro.pipeline import jobs
job = SimpleNamespace(log=[], config={{"device": "cpu", "deterministic": True}}, resources={{}}, threads=1,
                      rule="r", wildcards={{}})
mode = jobs.start(job)
print("torch after start:", "torch" in sys.modules, dict(mode))
import torch
from torch import nn  # a submodule after the package: no second setup
assert mode["deterministic"] and mode["strict_fp32"] and mode["threads"] == 1 and mode["device"] == "cpu", mode
assert torch.are_deterministic_algorithms_enabled()
assert torch.get_num_threads() == 1
assert not torch.backends.cuda.matmul.allow_tf32 and not torch.backends.cudnn.allow_tf32
assert torch.get_float32_matmul_precision() == "highest"
assert type(torch.__spec__.loader).__name__ == "SourceFileLoader", torch.__spec__.loader  # its own loader
assert not any(type(f).__name__ == "_AfterImport" for f in sys.meta_path)
print("numerics set")
"""


@pytest.mark.parametrize("before, loaded", [("", False), ("import torch", True)])
def test_numerics_are_set_whenever_torch_arrives(before, loaded):
    """A job that imports torch before start gets its numerics at once; one that imports it later gets them the
    moment it does; one that never does never loads torch (the figure jobs' saving)."""
    src = Path(__file__).resolve().parents[2] / "src"
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(START.format(before=before))], capture_output=True,
                         text=True, env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    first, last = out.stdout.splitlines()
    assert first.startswith(f"torch after start: {loaded}")
    assert (first.endswith("{}")) is not loaded  # deferred: nothing set yet
    assert last == "numerics set"


def test_checkpoint_name_follows_params_including_library_code(tmp_path):
    a = jobs.checkpoint_for(job(tmp_path, lr=0.1, library_code="aaa"), tmp_path)
    assert a == jobs.checkpoint_for(job(tmp_path, lr=0.1, library_code="aaa"), tmp_path)
    assert a != jobs.checkpoint_for(job(tmp_path, lr=0.1, library_code="bbb"), tmp_path)  # a library fix
    assert a != jobs.checkpoint_for(job(tmp_path, lr=0.2, library_code="aaa"), tmp_path)


def test_resume_is_logged_and_finish_deletes_every_checkpoint(tmp_path, caplog):
    ckpt = jobs.checkpoint_for(job(tmp_path, lr=0.1), tmp_path)
    ckpt.write_bytes(b"state")
    stale = tmp_path / "checkpoint-0123456789ab.pt"  # another configuration's, left in the same place
    stale.write_bytes(b"old")
    keep = tmp_path / "metrics.csv"
    keep.write_text("epoch\n1\n")
    with caplog.at_level(logging.INFO):
        assert jobs.checkpoint_for(job(tmp_path, lr=0.1), tmp_path) == ckpt
    assert f"resuming from checkpoint {ckpt}" in caplog.text
    jobs.finish(tmp_path)
    assert not ckpt.exists() and not stale.exists() and keep.exists()
