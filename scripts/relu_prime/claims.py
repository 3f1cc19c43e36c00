"""relu_prime's claims table (rule relu_prime_claims)."""

import pandas as pd

from relurepro import claims, jobs
from relurepro.relu_prime_claims import volume_mnist_claims, volume_stats_claims

jobs.start(snakemake)
reference = pd.read_csv(snakemake.input.reference)
rows = volume_mnist_claims(pd.read_csv(snakemake.input.volume), reference, snakemake.params.default_layers)
rows += volume_stats_claims(pd.read_csv(snakemake.input.stats))
table = claims.write(rows, snakemake.params.scale, snakemake.output[0])
print(table.to_string())
