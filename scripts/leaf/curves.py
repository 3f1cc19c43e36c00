"""Every training-curve figure (rule leaf_curves): test accuracy and training loss per epoch, a page per
(net, ds)."""

from pathlib import Path

from relurepro.pipeline import jobs
from relurepro.leaf.aggregate import read_epochs
from relurepro.leaf import figures

jobs.start(snakemake)
p, out = snakemake.params, snakemake.output
epochs = read_epochs(snakemake.input[0])
for curve, pdf, png, missing_txt in zip(p.curves, out.pdf, out.png, out.missing, strict=True):
    missing = figures.curves(epochs, curve, p.pairs, p.note, pdf, png)
    Path(missing_txt).write_text("".join(f"{m}\n" for m in missing))
