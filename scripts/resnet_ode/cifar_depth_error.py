"""Figure 3c: test error vs depth, ResNet/HeunNet x backprop/adjoint (rule ro_cifar_depth_error)."""

from relurepro.pipeline import jobs
from relurepro.resnet_ode import figures
from relurepro.resnet_ode.aggregate import read_summary

jobs.start(snakemake)
figures.cifar_depth_error(read_summary(snakemake.input[0]), snakemake.params.metric, snakemake.params.note,
                          snakemake.output.pdf, snakemake.output.png)
