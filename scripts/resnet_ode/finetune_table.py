"""Table 2: before/after accuracies of the refine-by-untying runs as CSV, LaTeX and a figure page (rule
ro_finetune_table)."""

import pandas as pd

from relurepro.pipeline import jobs
from relurepro.plotting import table_page
from relurepro.resnet_ode.aggregate import read_finetune

jobs.start(snakemake)
table = pd.concat([read_finetune(path) for path in snakemake.input])[["dataset", "stage", "model", "bn_mode", "top1"]]
table.to_csv(snakemake.output.csv, index=False)
table.to_latex(snakemake.output.tex, index=False, float_format="%.2f")
table_page(table, "Refining tied models by untying + adjoint fine-tuning (top-1 test accuracy, %)",
           snakemake.params.note, snakemake.output.pdf, snakemake.output.png)
