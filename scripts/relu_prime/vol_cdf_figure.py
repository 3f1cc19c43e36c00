"""Draw one vol_* first-bifurcation CDF figure (rule vol_cdf_figure)."""

import pandas as pd

from relurepro.pipeline import jobs
from relurepro.vol_cdf import plot, validate_aggregate

jobs.start(snakemake)
table = pd.read_csv(snakemake.input[0])
validate_aggregate(table, snakemake.input[0])
plot(table, snakemake.wildcards.figure, snakemake.params.note, snakemake.output.pdf, snakemake.output.png,
     paper_quirks=snakemake.params.paper_quirks)
