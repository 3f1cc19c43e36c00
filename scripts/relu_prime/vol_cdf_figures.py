"""Draw every vol_* first-bifurcation CDF figure from the CSV they share (rule rp_vol_cdf_figures)."""

from relurepro.pipeline import jobs
from relurepro.relu_prime.vol_cdf import plot, read_aggregate

jobs.start(snakemake)
table = read_aggregate(snakemake.input[0])
p, out = snakemake.params, snakemake.output
for figure, note, pdf, png in zip(p.figures, p.notes, out.pdf, out.png, strict=True):
    plot(table, figure, note, pdf, png, paper_quirks=p.paper_quirks)
