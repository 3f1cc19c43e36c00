"""Target vs student of each min-max winner (rule ua_best_models)."""

import pandas as pd

from relurepro.pipeline import jobs
from relurepro.uniform_accuracy import figures
from relurepro.uniform_accuracy.best_models import pages

jobs.start(snakemake)
table = pd.read_csv(snakemake.input.table, dtype={"teacher": str})
figures.best_models(pages(table, list(snakemake.input.plots)), snakemake.params.note, snakemake.output.pdf,
                    snakemake.output.png)
