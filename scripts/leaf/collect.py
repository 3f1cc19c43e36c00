"""Every leaf run's epochs in one CSV and one summary row per run (rule leaf_collect)."""

import pandas as pd

from relurepro import jobs
from relurepro.leaf.analysis import summarize
from relurepro.leaf.grid import Run

jobs.start(snakemake)
KEYS = list(Run.__dataclass_fields__)
stats, summary = [], []
for path in snakemake.input.stats:
    stat = pd.read_csv(path)
    missing = {"epoch", "test_acc", "train_loss_mean", "duration", "diverged", *KEYS} - set(stat.columns)
    if missing or stat.empty:
        raise ValueError(f"{path}: not a leaf stat.csv (missing {sorted(missing)} or no rows)")
    stats.append(stat)
    summary.append({**{k: stat[k].iloc[0] for k in [*KEYS, "data"]}, **summarize(stat)})
pd.concat(stats).to_csv(snakemake.output.epochs, index=False)
pd.DataFrame(summary).to_csv(snakemake.output.summary, index=False)
pd.concat(pd.read_csv(p) for p in snakemake.input.params).to_csv(snakemake.output.params, index=False)
print(pd.DataFrame(summary).to_string(), flush=True)
