"""Learned activation shapes (rule leaf_af_shapes): 5 random neurons of each of the last activation layers."""

from pathlib import Path

import pandas as pd

from relurepro.pipeline import jobs
from relurepro.leaf import figures
from relurepro.leaf.aggregate import read_shapes

jobs.start(snakemake)
shapes = pd.concat([read_shapes(path) for path in snakemake.input], ignore_index=True)  # each checked
missing = figures.af_shapes(shapes, snakemake.params.pairs, snakemake.params.note, snakemake.output.pdf,
                            snakemake.output.png)
Path(snakemake.output.missing).write_text("".join(f"{m}\n" for m in missing))
