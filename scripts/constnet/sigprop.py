"""Activation and gradient variance per layer at initialisation, every init, depth and seed (rule cn_sigprop)."""

import logging

from relurepro.pipeline import jobs
from relurepro.constnet import sigprop
from relurepro.constnet.aggregate import check_sigprop

jobs.start(snakemake)
cfg = snakemake.params.sigprop
# 9 significant digits: the ConstNet claim compares per-layer values to 1e-6.
table = sigprop.sweep(cfg, sigprop.inputs(cfg["batch"]), progress=logging.info)
check_sigprop(table, snakemake.output[0], cfg)  # its schema, every init x depth x seed
table.to_csv(snakemake.output[0], index=False, float_format="%.9g")
