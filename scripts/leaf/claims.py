"""leaf claims (rule leaf_claims)."""

import pandas as pd

from relurepro import claims
from relurepro.pipeline import jobs
from relurepro.leaf import claims as lc
from relurepro.leaf.aggregate import read_collected_params, read_summary
from relurepro.leaf.analysis import read_af_diff

jobs.start(snakemake)
i = snakemake.input
# The collected tables re-read through their schemas: a file changed since its rule wrote it stops the claims.
summary, reference = read_summary(i.summary), pd.read_csv(i.reference)
rows = [*lc.sigmoid_claims(summary, reference), *lc.tanh_cifar_claim(summary, reference),
        *lc.adaptive_claims(summary, reference), *lc.drift_claims(read_collected_params(i.params)),
        *lc.init_claims(read_af_diff(i.af_diff))]
print(claims.write(rows, snakemake.params.scale, snakemake.output[0]).to_string())
