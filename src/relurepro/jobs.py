"""What every Snakemake job script does first: log redirection, numerics mode, device."""

from __future__ import annotations

import logging
import sys

from relurepro import numerics


def start(snakemake, *, strict: bool = True) -> dict:
    """Send stdout/stderr (tqdm progress included) to the rule's log, set numerics, pick the device.

    Returns the settings, for the job to record beside its results.
    """
    if snakemake.log:
        log = open(snakemake.log[0], "w", buffering=1)
        sys.stdout = sys.stderr = log
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s", force=True)
    config = snakemake.config
    mode = numerics.setup(strict=strict, deterministic=config.get("deterministic", True),
                          threads=snakemake.threads)
    mode["device"] = str(numerics.resolve_device(config.get("device", "auto")))
    logging.info("rule %s wildcards %s numerics %s", snakemake.rule, dict(snakemake.wildcards), mode)
    return mode


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
    return Path(directory) / f"checkpoint-{digest.hexdigest()[:12]}.pt"
