"""Draw one relu_prime training figure, test box or train curve (rules rp_test_box,
rp_train_curve). matplotlib/pandas only, no torch: the log is redirected here."""

import sys

from relurepro.relu_prime.figures import draw
from relurepro.relu_prime.aggregate import read_table

sys.stdout = sys.stderr = open(snakemake.log[0], "w", buffering=1)
table = read_table(snakemake.input[0])
drawn = draw(table, snakemake.wildcards.figure, snakemake.params.note, snakemake.output.pdf, snakemake.output.png,
             paper_quirks=snakemake.params.paper_quirks, fixed_ylim=snakemake.params.fixed_ylim)
for key, value in drawn.items():
    print(key, value)
