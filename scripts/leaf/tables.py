"""Result tables of one group for one network (rule leaf_table): CSV per dataset in the original's layout, LaTeX
with both dataset columns, and a figure page."""

from relurepro.pipeline import jobs
from relurepro.leaf.aggregate import read_summary
from relurepro.leaf.tables import group_rows, latex_rows
from relurepro.plotting import table_page

jobs.start(snakemake)
w, p = snakemake.wildcards, snakemake.params
summary = read_summary(snakemake.input[0])
for ds, path in zip(p.datasets, snakemake.output.csvs):
    group_rows(summary, w.net, ds, w.group, p.seed).to_csv(path, index=False)
table = latex_rows(summary, w.net, w.group, p.seed)
table.to_latex(snakemake.output.tex, index=False, caption="Best test set accuracy, up to 100 epochs",
               label="table:tab1")
print(table.to_string(), flush=True)
table_page(table, f"{w.net}: best test accuracy ({'linear units' if w.group == 'lin_un' else 'bounded functions'}, "
           f"Adam, seed {p.seed}); -1.00% / -1: not run at this scale", p.note, snakemake.output.pdf,
           snakemake.output.png)
