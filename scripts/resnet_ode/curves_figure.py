"""Per-epoch test-error figures: the tied pretraining (tied_cifar) and the adjoint failure stand-in
(adjoint_failure_imagenet) at small scales; the ImageNet runs at paper scale (rule ro_curves_figure)."""

from relurepro.pipeline import jobs
from relurepro.resnet_ode import figures
from relurepro.resnet_ode.aggregate import curve_lines, read_imagenet_run, read_run, read_tied

jobs.start(snakemake)
p = snakemake.params
# Each input checked against its schema.
read = {"failure": read_run, "tied": read_tied, "imagenet": read_imagenet_run}[p.kind]
tables = [read(path) for path in snakemake.input]
figures.training_curves(curve_lines(p.kind, tables), "Test error (%)", p.title, p.note, snakemake.output.pdf,
                        snakemake.output.png)
