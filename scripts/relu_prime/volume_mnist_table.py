"""Aggregate volume cells into the volume_mnist panels (rule volume_mnist_table)."""

from relurepro import jobs
from relurepro.volume_mnist import aggregate, validate_aggregate

jobs.start(snakemake)
keys = [(c["variant"], c["layers"], c["neurons"], c["batch"], c["bits"]) for c in snakemake.params.cells]
table = aggregate(snakemake.params.vol, dict(zip(keys, snakemake.input)), snakemake.params.paper_quirks)
validate_aggregate(table, snakemake.output[0])
table.to_csv(snakemake.output[0], index=False)
print(table.to_string())
