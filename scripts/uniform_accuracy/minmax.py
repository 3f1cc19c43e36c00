"""Min-max / min-avg errors vs samples for one dimension (rule ua_minmax_figure)."""

from relurepro.pipeline import jobs
from relurepro.uniform_accuracy import figures
from relurepro.uniform_accuracy.aggregate import read_table

jobs.start(snakemake)
figures.minmax(read_table(snakemake.input[0]), int(snakemake.wildcards.d),
               snakemake.params.note, snakemake.output.pdf, snakemake.output.png)
