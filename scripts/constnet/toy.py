"""The toy model of unique features, every (k, noise, seed) of the scale (rule cn_toy)."""

import logging

from relurepro.pipeline import jobs
from relurepro.constnet import toy
from relurepro.constnet.aggregate import check_toy

jobs.start(snakemake)
cfg = snakemake.params.toy
table = toy.sweep(cfg, progress=logging.info)
check_toy(table, snakemake.output[0], cfg)  # its schema, every (k, noise, seed)
table.to_csv(snakemake.output[0], index=False)
