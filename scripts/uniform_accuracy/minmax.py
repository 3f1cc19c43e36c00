"""Min-max / min-avg errors vs samples for one dimension (rule ua_minmax_figure)."""

import pandas as pd

from relurepro.pipeline import jobs
from relurepro.uniform_accuracy import figures

jobs.start(snakemake)
figures.minmax(pd.read_csv(snakemake.input[0], dtype={"teacher": str}), int(snakemake.wildcards.d),
               snakemake.params.note, snakemake.output.pdf, snakemake.output.png)
