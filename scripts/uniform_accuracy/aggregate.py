"""Gather the training runs and aggregate them (rule ua_aggregate)."""

import pandas as pd

from relurepro import jobs
from relurepro.uniform_accuracy import aggregate
from relurepro.uniform_accuracy.cell import read_cell

jobs.start(snakemake)
runs = pd.concat([read_cell(path) for path in snakemake.input], ignore_index=True)
runs.to_csv(snakemake.output.runs, index=False)
table = aggregate.aggregate(runs, snakemake.params.oracle)
aggregate.validate(table, snakemake.output.table)
table.to_csv(snakemake.output.table, index=False)
print(table.to_string())
