"""Activation and gradient variance per layer at initialisation, every init, depth and seed (rule cn_sigprop)."""

import logging

from relurepro import jobs
from relurepro.constnet import sigprop

jobs.start(snakemake)
cfg = snakemake.params.sigprop
# 9 significant digits: the ConstNet claim compares per-layer values to 1e-6.
sigprop.sweep(cfg, sigprop.inputs(cfg["batch"]), progress=logging.info).to_csv(snakemake.output[0], index=False,
                                                                               float_format="%.9g")
