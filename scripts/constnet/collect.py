"""Every constnet run's epochs and correlations in two CSVs (rule cn_collect); each run's CSVs are checked against
their schemas and the epochs of their kind's schedule (relurepro.constnet.aggregate)."""

from relurepro.pipeline import jobs
from relurepro.constnet.aggregate import collect

jobs.start(snakemake)
metrics, correlations = collect(list(snakemake.input.metrics), list(snakemake.input.correlations),
                                snakemake.params.epochs)
metrics.to_csv(snakemake.output.metrics, index=False)
correlations.to_csv(snakemake.output.correlations, index=False)
