"""Figure 2 (rule ro_linear_figure)."""

import pandas as pd

from relurepro.pipeline import jobs
from relurepro.resnet_ode import figures
from relurepro.resnet_ode.linear import read_summary

jobs.start(snakemake)
c = snakemake.params.linear
figures.linear_weights(pd.read_csv(snakemake.input.weights), read_summary(snakemake.input.summary), c["steps"],
                       c["entries"], c["seed"], snakemake.params.note, snakemake.output.pdf, snakemake.output.png)
