"""relu_prime's claims table (rule rp_claims)."""

import pandas as pd

from relurepro import claims
from relurepro.pipeline import jobs
from relurepro.relu_prime import vol_cdf, volume_mnist, volume_stats, zeros_ratio
from relurepro.relu_prime.aggregate import last_epoch_accuracy
from relurepro.relu_prime.claims import (CHANCE_ACCURACY, CLAIMS, imagenet_claims, intro_claims, training_claims,
                                         vol_cdf_claims, volume_mnist_claims, volume_stats_claims, zeros_ratio_claims)
from relurepro.relu_prime.intro_tables import read_trace, read_zone
from relurepro.relu_prime.tables import read_imagenet

jobs.start(snakemake)
scale = snakemake.params.scale
reference = pd.read_csv(snakemake.input.reference)
# Each aggregated table re-read through its schema: a file changed since its rule wrote it stops the claims.
rows = intro_claims(pd.concat([read_trace(p) for p in snakemake.input.intro], ignore_index=True), scale,
                    read_zone(snakemake.input.zone))
rows += volume_mnist_claims(volume_mnist.read_aggregate(snakemake.input.volume), reference,
                            snakemake.params.default_layers, scale)
rows += volume_stats_claims(volume_stats.read_summary(snakemake.input.stats), reference, scale)
rows += vol_cdf_claims(vol_cdf.read_aggregate(snakemake.input.vol_cdf), reference, scale)
rows += zeros_ratio_claims(zeros_ratio.read_aggregate(snakemake.input.zeros), scale)
for table in snakemake.input.training:
    rows += training_claims(last_epoch_accuracy(table, diverged_as=CHANCE_ACCURACY), reference, scale)
# The ImageNet table exists at paper scale only; elsewhere C7 is a row without a verdict.
rows += imagenet_claims(read_imagenet(snakemake.input.imagenet[0]) if snakemake.input.imagenet else None, scale)
print(claims.write(rows, scale, snakemake.output[0], CLAIMS).to_string())
