"""The Section-3 statistics table (rule rp_volume_mnist_stats_table): one summary row per runs CSV."""

import pandas as pd

from relurepro.pipeline import jobs
from relurepro.relu_prime.volume_stats import read_batches, summarize, validate_summary

jobs.start(snakemake)
# Each runs CSV checked against its schema and its path's run count.
table = summarize(pd.concat([read_batches(path) for path in snakemake.input], ignore_index=True))
validate_summary(table, snakemake.output.csv, rows=len(snakemake.input))
table.to_csv(snakemake.output.csv, index=False)
print(table.to_string())
