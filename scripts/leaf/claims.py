"""leaf claims (rule leaf_claims)."""

import pandas as pd

from relurepro import claims
from relurepro.pipeline import jobs
from relurepro.leaf.aggregate import read_collected_params, read_epochs, read_summary
from relurepro.leaf.analysis import read_af_diff
from relurepro.leaf.claims import CIFAR10_TEST, CLAIMS, claims as leaf_claims

jobs.start(snakemake)
i, p = snakemake.input, snakemake.params
# The collected tables re-read through their schemas: a file changed since its rule wrote it stops the claims.
rows = leaf_claims(read_summary(i.summary), read_epochs(i.epochs), read_collected_params(i.params),
                   read_af_diff(i.af_diff), pd.read_csv(i.reference), p.scale, p.test_samples or CIFAR10_TEST)
print(claims.write(rows, p.scale, snakemake.output[0], CLAIMS).to_string())
