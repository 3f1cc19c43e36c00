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
rows = [*ro.linear_claims(linear.read_summary(i.linear), p.linear_n, reference, p.scale),
        *ro.memory_claims(peak_memory.read_memory(i.memory), reference, p.scale),
        *ro.reconstruction_claims(experiments.read_reconstruction(i.reconstruction), reference, p.scale),
        *ro.gradient_claims(gradient_errors.read_gradient_errors(i.gradient_errors), reference, p.scale),
        *ro.depth_error_claims(aggregate.read_summary(i.tiny), p.scale, reference, p.metric, p.primary_bn,
                               p.dataset),
        *ro.finetune_claims(pd.concat(aggregate.read_finetune(path) for path in i.finetune), reference, p.scale)]
# Figures 3a and 3b: the ImageNet and CIFAR-10 runs at paper scale, their digits stand-ins below it (whose rows the
# claims declare unchecked there).
if p.paper:
    failure = [aggregate.read_imagenet_run(path) for path in i.failure]
    tied_imagenet = aggregate.read_imagenet_run(i.tied_imagenet[0])
else:
    failure, tied_imagenet = [aggregate.read_run(path) for path in i.failure], None
rows += ro.failure_claims(failure, p.scale, p.primary_bn, p.failure_depth)
rows += ro.tied_claims(aggregate.read_tied(i.tied), tied_imagenet, p.scale)
print(claims.write(rows, p.scale, snakemake.output[0], ro.CLAIMS).to_string())
