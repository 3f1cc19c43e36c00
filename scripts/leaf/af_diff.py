"""The initialisations checked against their base functions (rule leaf_af_diff): squared error on 100,001 points
of [-15, 15] per dtype (CUDA float16/32/64 too when a GPU is there)."""

import pandas as pd
import torch

from relurepro.pipeline import jobs
from relurepro.leaf import analysis, figures

mode = jobs.start(snakemake)
grids = [("cpu", torch.float32), ("cpu", torch.float64)]
if mode["device"].startswith("cuda"):
    grids += [("cuda", dtype) for dtype in (torch.float16, torch.float32, torch.float64)]
summaries, curves = zip(*(analysis.af_diff(dtype, device) for device, dtype in grids))
summary = pd.concat(summaries, ignore_index=True)
curves = pd.concat([c.assign(dtype=c.dtype + ("" if d == "cpu" else f" ({d})")) for c, (d, _) in zip(curves, grids)])
summary.to_csv(snakemake.output.csv, index=False)
print(summary.to_string(), flush=True)
figures.af_diff(curves, summary.assign(dtype=[t + ("" if d == "cpu" else f" ({d})") for t, d in
                                              zip(summary.dtype, summary.device)]),
                snakemake.params.note, snakemake.output.pdf, snakemake.output.png)
