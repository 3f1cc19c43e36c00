"""The one-CSV figures: memory, reconstruction error, gradient errors (rules ro_memory_figure,
ro_reconstruction_figure, ro_gradient_errors_figure)."""

from relurepro.pipeline import jobs
from relurepro.resnet_ode import figures
from relurepro.resnet_ode.experiments import read_reconstruction
from relurepro.resnet_ode.gradient_errors import read_gradient_errors
from relurepro.resnet_ode.peak_memory import read_memory

jobs.start(snakemake)
draw = getattr(figures, snakemake.params.figure)
# The table checked against its schema (the rule's wildcard names which).
read = {"memory": read_memory, "reconstruction_error": read_reconstruction,
        "gradient_errors": read_gradient_errors}[snakemake.wildcards.ro_simple]
draw(read(snakemake.input[0]), snakemake.params.note, snakemake.output.pdf, snakemake.output.png)
