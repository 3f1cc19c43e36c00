"""The multi-seed table (rule leaf_seeds_table): per configuration, every seed's best accuracy, mean +- std, min,
max."""

from relurepro.pipeline import jobs
from relurepro.leaf.aggregate import read_summary
from relurepro.leaf.tables import seeds_table
from relurepro.plotting import table_page

jobs.start(snakemake)
table = seeds_table(read_summary(snakemake.input[0]))
table.to_csv(snakemake.output.csv, index=False)
table.to_latex(snakemake.output.tex, index=False, float_format="%.2f")
print(table.to_string(), flush=True)
table_page(table.drop(columns=["opt"]), "Best test accuracy (%) over seeds", snakemake.params.note,
           snakemake.output.pdf, snakemake.output.png)
