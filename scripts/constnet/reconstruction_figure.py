"""A reconstructed constnet figure from its job's CSV (rule cn_reconstruction_figure), and the numbers it shows."""

from relurepro.pipeline import jobs
from relurepro.constnet import sigprop, toy
from relurepro.constnet.aggregate import read_sigprop, read_toy

jobs.start(snakemake)
fid, p, out = snakemake.wildcards.cn_recon, snakemake.params, snakemake.output
table = {"toy_unique_features": read_toy, "sigprop": read_sigprop}[fid](snakemake.input[0])  # checked
module = {"toy_unique_features": toy, "sigprop": sigprop}[fid]
module.figure(table, p.label, p.note, out.pdf, out.png)
(toy.summary(table) if fid == "toy_unique_features" else sigprop.ratios(table)).to_csv(out.csv, index=False)
