"""Gather the training runs and aggregate them (rule ua_aggregate)."""

import pandas as pd

from relurepro.pipeline import jobs
from relurepro.uniform_accuracy import aggregate
from relurepro.uniform_accuracy.cell import read_cell

jobs.start(snakemake)
ua = snakemake.params.ua
# Each job's metrics checked: its schema, and the students and iterations its path and the scale promise.
runs = pd.concat([read_cell(path, ua) for path in snakemake.input], ignore_index=True)
runs.to_csv(snakemake.output.runs, index=False)
table = aggregate.aggregate(runs, snakemake.params.oracle)
cells = sum(len(ua["m"][str(d)]) for d in ua["dims"])
aggregate.validate(table, snakemake.output.table, rows=cells * len(aggregate.METRICS) * 2)  # x max and avg
table.to_csv(snakemake.output.table, index=False)
print(table.to_string())
