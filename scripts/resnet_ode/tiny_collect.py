"""Every tiny training run in one CSV, and per run the test error at the best and the last epoch (rule
ro_tiny_collect; Figure 3c's metric is the best epoch, switch S5)."""


from relurepro import jobs
from relurepro.resnet_ode.aggregate import read_runs, summarize

jobs.start(snakemake)
runs = read_runs(snakemake.input)
runs.to_csv(snakemake.output.runs, index=False)
summary = summarize(runs)
print(summary.to_string(), flush=True)
summary.to_csv(snakemake.output.summary, index=False)
