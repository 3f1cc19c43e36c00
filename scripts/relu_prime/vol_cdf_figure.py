"""Draw one vol_* first-bifurcation CDF figure (rule rp_vol_cdf_figure)."""

from relurepro.pipeline import jobs
from relurepro.relu_prime.vol_cdf import plot, read_aggregate

jobs.start(snakemake)
table = read_aggregate(snakemake.input[0])
plot(table, snakemake.wildcards.figure, snakemake.params.note, snakemake.output.pdf, snakemake.output.png,
     paper_quirks=snakemake.params.paper_quirks)
