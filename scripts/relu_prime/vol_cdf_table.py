"""Aggregate the vol_* cells into first-bifurcation CDFs (rule rp_vol_cdf_table)."""

from relurepro.pipeline import jobs
from relurepro.relu_prime.vol_cdf import aggregate, validate_aggregate

jobs.start(snakemake)
table = aggregate(snakemake.params.cells, list(snakemake.input))
validate_aggregate(table, snakemake.output[0])
table.to_csv(snakemake.output[0], index=False)
print(table.groupby(["figure", "bits"])["cdf"].agg(["first", "last"]).to_string())
