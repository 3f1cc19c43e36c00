"""A figure the chosen scale cannot compute: the page says so and why (rule not_computed)."""

from relurepro.pipeline import jobs
from relurepro.plotting import not_computed

jobs.start(snakemake)
p = snakemake.params
not_computed(p.title, p.reason, p.note, snakemake.output.pdf, snakemake.output.png)
