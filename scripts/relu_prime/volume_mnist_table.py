"""Aggregate volume cells into the volume_mnist panels (rule rp_volume_mnist_table)."""

from relurepro.pipeline import jobs
from relurepro.relu_prime.volume_mnist import aggregate, csvs_by_cell, panel_tables, validate_aggregate

jobs.start(snakemake)
cell_csvs = csvs_by_cell(snakemake.params.cells, list(snakemake.input))
table = aggregate(snakemake.params.vol, cell_csvs, snakemake.params.paper_quirks)
validate_aggregate(table, snakemake.output.table)
table.to_csv(snakemake.output.table, index=False)
print(table.to_string())
for path, frame in zip(snakemake.output.panels, panel_tables(table).values(), strict=True):
    frame.to_csv(path)  # the index is the original's row-number column
