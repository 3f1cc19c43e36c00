"""What every Snakemake job script does first: log redirection, numerics mode, device."""

from __future__ import annotations

import importlib.abc
import importlib.util
import logging
import os
import sys

from relurepro.pipeline import gpu_lease


def start(snakemake, *, strict: bool = True) -> dict:
    """Send stdout/stderr (tqdm progress included) to the rule's log, record the SLURM job, lease a GPU for a job
    that asked for one (resources gpu), set numerics, pick the device.

    Numerics are torch's: a job that has not imported torch when it starts (a figure or table drawn from CSVs)
    does not pay its import (seconds per job); should it import torch later, they are set the moment it does.
    Returns the settings, for the job to record beside its results (`{}` until torch is imported).
    """
    if snakemake.log:
        log = open(snakemake.log[0], "w", buffering=1)
        sys.stdout = sys.stderr = log
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s", force=True)
    config = snakemake.config
    if os.environ.get("SLURM_JOB_ID"):
        logging.info("SLURM job %s on node %s", os.environ["SLURM_JOB_ID"], os.environ.get("SLURMD_NODENAME", "?"))
    if config.get("device", "auto") != "cpu" and int(snakemake.resources.get("gpu", 0) or 0) > 0:
        # Before anything initialises CUDA: this job's device is then the only one torch sees.
        lease = gpu_lease.lease_for_job()
        if lease is not None:
            logging.info("GPU %s leased (CUDA_VISIBLE_DEVICES=%s, lock %s)", lease.device, lease.device, lease.path)
    logging.info("rule %s wildcards %s", snakemake.rule, dict(snakemake.wildcards))
    mode = {}

    def set_numerics():
        from relurepro import numerics

        mode.update(numerics.setup(strict=strict, deterministic=config.get("deterministic", True),
                                   threads=snakemake.threads))
        mode["device"] = str(numerics.resolve_device(config.get("device", "auto")))
        logging.info("numerics %s", mode)

    if "torch" in sys.modules:
        set_numerics()
    else:
        sys.meta_path.insert(0, _AfterImport("torch", set_numerics))
    return mode


def cells_of(snakemake) -> list[dict]:
    """The cells a job runs, in the order of its outputs: a pack's (params `cells`) or its own wildcards."""
    if "cells" in snakemake.params.keys():
        return list(snakemake.params.cells)
    return [dict(snakemake.wildcards)]


class _AfterImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Runs `then()` right after module `name` is first imported (its own loader does the import)."""

    def __init__(self, name: str, then):
        self.name, self.then, self.loader = name, then, None

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        self.loader, spec.loader = spec.loader, self
        return spec

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self.loader  # the module keeps its own loader
        self.loader.exec_module(module)
        self.then()


def checkpoint_for(snakemake, directory):
    """The resume checkpoint of this job: named by a hash of its parameters, wildcards and input files' contents,
    so a run of another configuration writing to the same place (another scale, changed settings, a retrained
    upstream model) never resumes from it."""
    import hashlib
    import json
    from pathlib import Path

    digest = hashlib.sha256(json.dumps({"params": dict(snakemake.params.items()),
                                        "wildcards": dict(snakemake.wildcards.items())},
                                       sort_keys=True, default=str).encode())
    for path in snakemake.input:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    checkpoint = Path(directory) / f"checkpoint-{digest.hexdigest()[:12]}.pt"
    if checkpoint.exists():
        logging.info("resuming from checkpoint %s", checkpoint)
    return checkpoint


def finish(directory) -> None:
    """Call once the job's outputs are written: its resume checkpoints (this configuration's, and stale ones of
    others in the same place) are deleted, so a forced or code-triggered rerun starts from scratch."""
    from pathlib import Path

    for stale in sorted(Path(directory).glob("checkpoint*.pt")):
        logging.info("job done: removing checkpoint %s", stale)
        stale.unlink()
