"""The toy model of unique features, every (k, noise, seed) of the scale (rule cn_toy)."""

import logging

from relurepro import jobs
from relurepro.constnet import toy

jobs.start(snakemake)
toy.sweep(snakemake.params.toy, progress=logging.info).to_csv(snakemake.output[0], index=False)
