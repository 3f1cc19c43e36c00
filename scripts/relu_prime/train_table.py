"""Aggregate one relu_prime training experiment's job CSVs (rule rp_train_table).

Pandas only, no torch (jobs.start would import it for numerics this job does not use): the log is
redirected here as scripts/manifest.py does.
"""

import sys

from relurepro.relu_prime.aggregate import aggregate

sys.stdout = sys.stderr = open(snakemake.log[0], "w", buffering=1)
table = aggregate(snakemake.wildcards.experiment, list(snakemake.input))
table.to_csv(snakemake.output[0], index=False)
print(f"{len(table)} rows from {len(snakemake.input)} job CSVs")
