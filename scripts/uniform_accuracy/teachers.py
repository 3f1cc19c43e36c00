"""Build and store the teachers of one dimension (rule ua_teachers)."""

from relurepro.pipeline import jobs
from relurepro.uniform_accuracy.teachers import save_teachers

jobs.start(snakemake)
d = int(snakemake.wildcards.d)
prints = save_teachers(d, list(range(snakemake.params.teachers)), snakemake.output.weights)
for row in prints:
    print(row)
