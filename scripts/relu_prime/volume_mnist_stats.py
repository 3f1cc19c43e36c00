"""The Section-3 statistics table drawn as a figure page (rule rp_volume_mnist_stats)."""

from relurepro.pipeline import jobs
from relurepro.relu_prime.figures import stats_table
from relurepro.relu_prime.volume_stats import read_summary

jobs.start(snakemake)
stats_table(read_summary(snakemake.input.csv), snakemake.params.note, snakemake.output.pdf, snakemake.output.png)
