"""Every leaf run's epochs in one CSV and one summary row per run (rule leaf_collect); each run's CSVs are checked
against their schemas and the epochs the scale asks for (relurepro.leaf.aggregate)."""

import pandas as pd

from relurepro.pipeline import jobs
from relurepro.leaf.aggregate import collect

jobs.start(snakemake)
epochs, summary, params = collect(list(snakemake.input.stats), list(snakemake.input.params), snakemake.params.epochs)
epochs.to_csv(snakemake.output.epochs, index=False)
summary.to_csv(snakemake.output.summary, index=False)
params.to_csv(snakemake.output.params, index=False)
print(pd.DataFrame(summary).to_string(), flush=True)
