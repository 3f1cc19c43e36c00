"""Target vs student of each min-max winner (rule ua_best_models)."""

from relurepro.pipeline import jobs
from relurepro.uniform_accuracy import figures
from relurepro.uniform_accuracy.aggregate import read_table
from relurepro.uniform_accuracy.best_models import pages

jobs.start(snakemake)
table = read_table(snakemake.input.table)
figures.best_models(pages(table, list(snakemake.input.plots)), snakemake.params.note, snakemake.output.pdf,
                    snakemake.output.png)
