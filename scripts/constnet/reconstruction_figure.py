"""A reconstructed constnet figure from its job's CSV (rule cn_reconstruction_figure), and the numbers it shows."""

import pandas as pd

from relurepro import jobs
from relurepro.constnet import sigprop, toy

jobs.start(snakemake)
fid, p, out = snakemake.wildcards.cn_recon, snakemake.params, snakemake.output
table = pd.read_csv(snakemake.input[0])
module = {"toy_unique_features": toy, "sigprop": sigprop}[fid]
module.figure(table, p.label, p.note, out.pdf, out.png)
(toy.summary(table) if fid == "toy_unique_features" else sigprop.ratios(table)).to_csv(out.csv, index=False)
