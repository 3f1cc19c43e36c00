"""One constnet figure or table (rule cn_figure); every figure also writes the numbers it shows as CSV."""

from relurepro.constnet import figures
from relurepro.constnet.aggregate import read_collected_metrics, read_correlations
from relurepro.pipeline import jobs

jobs.start(snakemake)
fid, out = snakemake.wildcards.cn_fig, snakemake.output
correlations = read_correlations(snakemake.input.correlations) if fid == "weight_corr" else None
figures.draw(fid, read_collected_metrics(snakemake.input.metrics), snakemake.params.note, out.pdf, out.png, out.csv,
             correlations=correlations, net=snakemake.params.net)
