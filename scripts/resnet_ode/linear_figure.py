"""Figure 2 (rule ro_linear_figure)."""

from relurepro.pipeline import jobs
from relurepro.resnet_ode import figures
from relurepro.resnet_ode.linear import read_summary, read_weights

jobs.start(snakemake)
c = snakemake.params.linear
figures.linear_weights(read_weights(snakemake.input.weights), read_summary(snakemake.input.summary), c["steps"],
                       c["entries"], c["seed"], snakemake.params.note, snakemake.output.pdf, snakemake.output.png)
