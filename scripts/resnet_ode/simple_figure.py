"""The one-CSV figures: memory, reconstruction error, gradient errors (rules ro_memory_figure,
ro_reconstruction_figure, ro_gradient_errors_figure)."""

import pandas as pd

from relurepro.pipeline import jobs
from relurepro.resnet_ode import figures

jobs.start(snakemake)
draw = getattr(figures, snakemake.params.figure)
draw(pd.read_csv(snakemake.input[0]), snakemake.params.note, snakemake.output.pdf, snakemake.output.png)
