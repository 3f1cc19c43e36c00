"""Figure 3c: test error vs depth, ResNet/HeunNet x backprop/adjoint (rule ro_cifar_depth_error)."""

import pandas as pd

from relurepro.pipeline import jobs
from relurepro.resnet_ode import figures

jobs.start(snakemake)
figures.cifar_depth_error(pd.read_csv(snakemake.input[0]), snakemake.params.metric, snakemake.params.note,
                          snakemake.output.pdf, snakemake.output.png)
