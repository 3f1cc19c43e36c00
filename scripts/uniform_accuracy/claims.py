"""uniform_accuracy claims (rule ua_claims)."""

import pandas as pd

from relurepro import claims
from relurepro.pipeline import jobs
from relurepro.uniform_accuracy.aggregate import read_table
from relurepro.uniform_accuracy.claims import CLAIMS, claims as ua_claims
from relurepro.uniform_accuracy.illustration import read_windows

jobs.start(snakemake)
# The aggregated table and the windows re-read through their schemas: a file changed since its rule wrote it
# stops the claims.
rows = ua_claims(read_table(snakemake.input.table), read_windows(snakemake.input.windows),
                 pd.read_csv(snakemake.input.reference), snakemake.params.scale)
print(claims.write(rows, snakemake.params.scale, snakemake.output[0], CLAIMS).to_string())
