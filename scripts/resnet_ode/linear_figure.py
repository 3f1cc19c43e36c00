"""Figure 2 (rule ro_linear_figure)."""

import pandas as pd

from relurepro.pipeline import jobs
from relurepro.resnet_ode import figures

jobs.start(snakemake)
c = snakemake.params.linear
figures.linear_weights(pd.read_csv(snakemake.input.weights), pd.read_csv(snakemake.input.summary), c["steps"],
                       c["entries"], c["seed"], snakemake.params.note, snakemake.output.pdf, snakemake.output.png)
