"""A job's resume checkpoint (relurepro.pipeline.jobs): named by what the job runs, logged when resumed, deleted once the
job's outputs are written."""

import logging
from types import SimpleNamespace

from relurepro.pipeline import jobs


class Named(dict):
    """Snakemake's params/wildcards: a mapping with items()."""


def job(tmp_path, **params):
    data = tmp_path / "input.txt"
    data.write_text("inputs")
    return SimpleNamespace(params=Named(params), wildcards=Named(seed="1"), input=[str(data)])


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
