"""resnet_ode claims (rule ro_claims)."""

from pathlib import Path

import pandas as pd

from relurepro import claims, jobs
from relurepro.resnet_ode import claims as ro

jobs.start(snakemake)
i, p = snakemake.input, snakemake.params
reference = pd.read_csv(i.reference)
rows = [*ro.linear_claims(pd.read_csv(i.linear), p.linear_n, reference),
        *ro.memory_claims(pd.read_csv(i.memory), reference),
        *ro.reconstruction_claims(pd.read_csv(i.reconstruction), reference),
        *ro.gradient_claims(pd.read_csv(i.gradient_errors), reference),
        *ro.depth_error_claims(pd.read_csv(i.tiny), p.scale, reference, p.metric)]
finetune = pd.read_csv(i.finetune)
if len(finetune):
    rows += ro.finetune_claims(finetune, reference)
print(claims.write(rows, p.scale, snakemake.output[0]).to_string())
