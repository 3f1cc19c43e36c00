"""The Section-3 statistics table as CSV and as a rendered table (rule rp_volume_mnist_stats)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from relurepro.pipeline import jobs
from relurepro.relu_prime.volume_stats import read_batches, summarize, validate_summary

jobs.start(snakemake)
# Each runs CSV checked against its schema and its path's run count; one summary row per runs CSV.
table = summarize(pd.concat([read_batches(path) for path in snakemake.input], ignore_index=True))
validate_summary(table, snakemake.output.csv, rows=len(snakemake.input))
table.to_csv(snakemake.output.csv, index=False)
print(table.to_string())

shown = table.copy()
for col in shown.columns[4:]:
    shown[col] = shown[col].map(lambda v: f"{v:.3g}")
fig, ax = plt.subplots(figsize=(11, 0.4 * len(shown) + 1.2))
ax.axis("off")
ax.table(cellText=shown.values, colLabels=[c.replace("_", " ") for c in shown.columns], loc="center",
         cellLoc="center").auto_set_font_size(False)
ax.set_title("Gradient differences ReLU'(0)=1 vs 0 (and the 0-vs-0 control), first layer, every minibatch",
             fontsize=9)
fig.text(0.01, 0.01, snakemake.params.note, fontsize=6, wrap=True)
for path in (snakemake.output.pdf, snakemake.output.png):
    fig.savefig(path, dpi=150, bbox_inches="tight")
