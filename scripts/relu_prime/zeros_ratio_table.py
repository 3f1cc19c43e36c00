"""Aggregate the zero-count jobs into results/relu_prime/zeros_ratio.csv (rule rp_zeros_ratio_table)."""

from relurepro.pipeline import jobs
from relurepro.relu_prime.zeros_ratio import aggregate, validate_aggregate

jobs.start(snakemake)
table = aggregate(list(snakemake.input), snakemake.params.dataset)
validate_aggregate(table, snakemake.output[0])
table.to_csv(snakemake.output[0], index=False)
print(table.to_string())
