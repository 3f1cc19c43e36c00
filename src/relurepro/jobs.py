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
