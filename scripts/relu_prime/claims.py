"""relu_prime's claims table (rule relu_prime_claims)."""

import pandas as pd

from relurepro import claims
from relurepro.pipeline import jobs
from relurepro.relu_prime_claims import (CHANCE_ACCURACY, training_claims, vol_cdf_claims, volume_mnist_claims,
                                         volume_stats_claims, zeros_ratio_claims)
from relurepro.relu_prime_runs import last_epoch_accuracy
from relurepro.vol_cdf import figure_checks

jobs.start(snakemake)
reference = pd.read_csv(snakemake.input.reference)
rows = volume_mnist_claims(pd.read_csv(snakemake.input.volume), reference, snakemake.params.default_layers)
rows += volume_stats_claims(pd.read_csv(snakemake.input.stats))
rows += vol_cdf_claims(figure_checks(pd.read_csv(snakemake.input.vol_cdf)))
rows += zeros_ratio_claims(pd.read_csv(snakemake.input.zeros))
for table in snakemake.input.training:
    rows += training_claims(last_epoch_accuracy(table, diverged_as=CHANCE_ACCURACY))
table = claims.write(rows, snakemake.params.scale, snakemake.output[0])
print(table.to_string())
