"""constnet claims (rule cn_claims)."""

import pandas as pd

from relurepro import claims
from relurepro.pipeline import jobs
from relurepro.constnet import sigprop, toy
from relurepro.constnet.aggregate import read_collected_metrics, read_correlations, read_sigprop, read_toy
from relurepro.constnet.claims import CLAIMS, claims as cn_claims

jobs.start(snakemake)
i = snakemake.input
# The collected tables re-read through their schemas: a file changed since its rule wrote it stops the claims.
scale = snakemake.params.scale
rows = cn_claims(read_collected_metrics(i.metrics), read_correlations(i.correlations), pd.read_csv(i.reference), scale)
rows += toy.claims(read_toy(i.toy), scale) + sigprop.claims(read_sigprop(i.sigprop), scale)
print(claims.write(rows, scale, snakemake.output[0], CLAIMS).to_string())
