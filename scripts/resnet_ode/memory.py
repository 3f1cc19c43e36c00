"""Peak memory during one forward + backward vs depth, backprop and adjoint, distinct MLP residual functions, one
fresh process per point (rule ro_memory)."""

import pandas as pd

from relurepro.pipeline import jobs
from relurepro.resnet_ode.peak_memory import peak_rows

mode = jobs.start(snakemake)
c = snakemake.params.memory
rows = pd.DataFrame(peak_rows(c["depths"], d=c["d"], batch=c["batch"], hidden=c["hidden"], seed=c["seed"],
                              device=mode["device"]))
print(rows.to_string(), flush=True)
rows.to_csv(snakemake.output[0], index=False)
