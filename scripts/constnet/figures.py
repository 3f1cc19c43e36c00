"""Every constnet figure and table from the collected CSVs (rule cn_figures); each figure also writes the numbers
it shows as CSV."""

from relurepro.constnet import figures
from relurepro.constnet.aggregate import read_collected_metrics, read_correlations
from relurepro.pipeline import jobs

jobs.start(snakemake)
p, out = snakemake.params, snakemake.output
metrics = read_collected_metrics(snakemake.input.metrics)
correlations = read_correlations(snakemake.input.correlations)
for fid, pdf, png, csv in zip(p.figures, out.pdf, out.png, out.csv, strict=True):
    figures.draw(fid, metrics, p.note, pdf, png, csv, correlations=correlations if fid == "weight_corr" else None,
                 net=p.net)
