"""One relu_prime training experiment: its job CSVs aggregated into one table, then every figure drawn from it,
test boxes and train curves (rules rp_train_figures__<experiment>).

Pandas and matplotlib only, no torch (jobs.start would import it for numerics this job does not use): the log is
redirected here as scripts/manifest.py does.
"""

import sys

from relurepro.relu_prime.aggregate import aggregate, read_table
from relurepro.relu_prime.figures import draw

sys.stdout = sys.stderr = open(snakemake.log[0], "w", buffering=1)
p, out = snakemake.params, snakemake.output
table = aggregate(p.experiment, list(snakemake.input))
table.to_csv(out.table, index=False)
print(f"{len(table)} rows from {len(snakemake.input)} job CSVs")
table = read_table(out.table)  # the figures show what the table says, read back and checked as any reader does
for figure, note, pdf, png in zip(p.figures, p.notes, out.pdf, out.png, strict=True):
    drawn = draw(table, figure, note, pdf, png, paper_quirks=p.paper_quirks, fixed_ylim=p.fixed_ylim)
    for key, value in drawn.items():
        print(figure, key, value)
