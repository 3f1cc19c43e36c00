"""resnet_ode claims (rule ro_claims)."""

import pandas as pd

from relurepro import claims
from relurepro.pipeline import jobs
from relurepro.resnet_ode import claims as ro
from relurepro.resnet_ode import aggregate, experiments, gradient_errors, linear, peak_memory

jobs.start(snakemake)
i, p = snakemake.input, snakemake.params
reference = pd.read_csv(i.reference)
# The tables re-read through their schemas: a file changed since its rule wrote it stops the claims.
rows = [*ro.linear_claims(linear.read_summary(i.linear), p.linear_n, reference),
        *ro.memory_claims(peak_memory.read_memory(i.memory), reference),
        *ro.reconstruction_claims(experiments.read_reconstruction(i.reconstruction), reference),
        *ro.gradient_claims(gradient_errors.read_gradient_errors(i.gradient_errors), reference),
        *ro.depth_error_claims(aggregate.read_summary(i.tiny), p.scale, reference, p.metric, p.primary_bn),
        *ro.finetune_claims(pd.concat(aggregate.read_finetune(path) for path in i.finetune), reference)]
if p.stand_ins:  # the small-scale stand-ins of Figures 3a and 3b
    rows += ro.failure_claims(pd.concat(aggregate.read_run(path) for path in i.failure), p.failure_depth,
                              p.primary_bn)
    rows += ro.tied_claims(aggregate.read_tied(i.tied))
print(claims.write(rows, p.scale, snakemake.output[0]).to_string())
