"""constnet claims (rule cn_claims)."""

import pandas as pd

from relurepro import claims, jobs
from relurepro.constnet.claims import claims as cn_claims

jobs.start(snakemake)
rows = cn_claims(pd.read_csv(snakemake.input.metrics), pd.read_csv(snakemake.input.correlations), pd.read_csv(snakemake.input.reference),
                 snakemake.params.scale)
print(claims.write(rows, snakemake.params.scale, snakemake.output[0]).to_string())
