"""Training-curve figures (rule leaf_curves): test accuracy and training loss per epoch, a page per (net, ds)."""

from pathlib import Path

from relurepro.pipeline import jobs
from relurepro.leaf.aggregate import read_epochs
from relurepro.leaf import figures

jobs.start(snakemake)
p = snakemake.params
missing = figures.curves(read_epochs(snakemake.input[0]), snakemake.wildcards.curve, p.pairs, p.note,
                         snakemake.output.pdf, snakemake.output.png)
Path(snakemake.output.missing).write_text("".join(f"{m}\n" for m in missing))
