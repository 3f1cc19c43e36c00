"""The summary tables per (d, m, metric) as CSV and LaTeX, and an overview figure (rule ua_summary_tables)."""

from relurepro.pipeline import jobs
from relurepro.uniform_accuracy import aggregate, figures
from relurepro.uniform_accuracy.cell import read_runs

jobs.start(snakemake)
means = aggregate.seed_means(read_runs(snakemake.input.runs), snakemake.params.oracle)
tables = {}
outputs = iter(snakemake.output.tables)
for d in snakemake.params.dims:
    for m in snakemake.params.m[str(d)]:
        for metric in aggregate.METRICS:
            table = aggregate.summary_table(means, d, m, metric)
            tables[(d, m, metric)] = table
            table.to_csv(next(outputs))
            table.to_latex(next(outputs), float_format="%.2e")
figures.summary_overview(tables, snakemake.params.note, snakemake.output.pdf, snakemake.output.png)
