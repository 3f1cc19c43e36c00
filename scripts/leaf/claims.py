"""leaf claims (rule leaf_claims)."""

import pandas as pd

from relurepro import claims
from relurepro.pipeline import jobs
from relurepro.leaf import claims as lc

jobs.start(snakemake)
i = snakemake.input
summary, reference = pd.read_csv(i.summary), pd.read_csv(i.reference)
rows = [*lc.sigmoid_claims(summary, reference), *lc.tanh_cifar_claim(summary, reference),
        *lc.adaptive_claims(summary, reference), *lc.drift_claims(pd.read_csv(i.params)),
        *lc.init_claims(pd.read_csv(i.af_diff))]
print(claims.write(rows, snakemake.params.scale, snakemake.output[0]).to_string())
