"""Every constnet run's epochs and correlations in two CSVs (rule cn_collect)."""

import pandas as pd

from relurepro import jobs

jobs.start(snakemake)
REQUIRED = {"epoch", "test_acc", "symmetry_deviation", "distinct_channels", "kind", "name", "seed"}
frames = []
for path in snakemake.input.metrics:
    frame = pd.read_csv(path)
    if REQUIRED - set(frame.columns) or frame.empty:
        raise ValueError(f"{path}: not a constnet metrics file (missing {sorted(REQUIRED - set(frame.columns))})")
    frames.append(frame)
pd.concat(frames, ignore_index=True).to_csv(snakemake.output.metrics, index=False)
pd.concat([pd.read_csv(p) for p in snakemake.input.correlations], ignore_index=True).to_csv(
    snakemake.output.correlations, index=False)
