"""Bytes saved for backward vs depth, backprop and adjoint, distinct MLP residual functions (rule ro_memory)."""

import pandas as pd
import torch

from relurepro import jobs
from relurepro.resnet_ode.experiments import memory_rows

jobs.start(snakemake)
c = snakemake.params.memory
torch.manual_seed(c["seed"])
rows = pd.DataFrame(memory_rows(c["depths"], d=c["d"], batch=c["batch"], hidden=c["hidden"]))
print(rows.to_string(), flush=True)
rows.to_csv(snakemake.output[0], index=False)
