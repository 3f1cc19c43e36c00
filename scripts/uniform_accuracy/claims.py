"""uniform_accuracy claims (rule ua_claims)."""

import pandas as pd

from relurepro import claims
from relurepro.pipeline import jobs
from relurepro.uniform_accuracy.claims import claims as ua_claims

jobs.start(snakemake)
rows = ua_claims(pd.read_csv(snakemake.input.table), pd.read_csv(snakemake.input.windows),
                 pd.read_csv(snakemake.input.reference), snakemake.params.scale)
print(claims.write(rows, snakemake.params.scale, snakemake.output[0]).to_string())
