"""Every tiny training run in one CSV, and per run the test error at the best and the last epoch (rule
ro_tiny_collect; Figure 3c's metric is the best epoch, switch S5)."""


from relurepro.pipeline import jobs
from relurepro.resnet_ode.aggregate import read_runs, summarize, validate_summary

jobs.start(snakemake)
runs = read_runs(snakemake.input, snakemake.params.epochs)  # each run checked: its schema, its epochs
runs.to_csv(snakemake.output.runs, index=False)
summary = summarize(runs)
validate_summary(summary, snakemake.output.summary, runs=len(snakemake.input))
print(summary.to_string(), flush=True)
summary.to_csv(snakemake.output.summary, index=False)
