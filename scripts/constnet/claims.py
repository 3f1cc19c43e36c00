"""constnet claims (rule cn_claims)."""

import pandas as pd

from relurepro import claims, jobs
from relurepro.constnet.claims import claims as cn_claims

jobs.start(snakemake)
i = snakemake.input
rows = cn_claims(pd.read_csv(i.metrics), pd.read_csv(i.correlations), pd.read_csv(i.reference),
                 snakemake.params.scale)
print(claims.write(rows, snakemake.params.scale, snakemake.output[0]).to_string())
