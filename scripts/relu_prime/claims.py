"""relu_prime's claims table (rule rp_claims)."""

import pandas as pd

from relurepro import claims
from relurepro.relu_prime import vol_cdf, volume_mnist, volume_stats, zeros_ratio
from relurepro.pipeline import jobs
from relurepro.relu_prime.claims import (CHANCE_ACCURACY, training_claims, vol_cdf_claims, volume_mnist_claims,
                                         volume_stats_claims, zeros_ratio_claims)
from relurepro.relu_prime.aggregate import last_epoch_accuracy
from relurepro.relu_prime.vol_cdf import figure_checks

jobs.start(snakemake)
reference = pd.read_csv(snakemake.input.reference)
# Each aggregated table re-read through its schema: a file changed since its rule wrote it stops the claims.
rows = volume_mnist_claims(volume_mnist.read_aggregate(snakemake.input.volume), reference,
                           snakemake.params.default_layers)
rows += volume_stats_claims(volume_stats.read_summary(snakemake.input.stats))
rows += vol_cdf_claims(figure_checks(vol_cdf.read_aggregate(snakemake.input.vol_cdf)))
rows += zeros_ratio_claims(zeros_ratio.read_aggregate(snakemake.input.zeros))
for table in snakemake.input.training:
    rows += training_claims(last_epoch_accuracy(table, diverged_as=CHANCE_ACCURACY))
table = claims.write(rows, snakemake.params.scale, snakemake.output[0])
print(table.to_string())
