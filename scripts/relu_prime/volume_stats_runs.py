"""Norm-diff runs of one (comparison, precision) (rule rp_volume_stats_runs)."""

import pandas as pd
from tqdm import tqdm

from relurepro.pipeline import jobs
from relurepro.data import load_dataset
from relurepro.relu_prime.volume import VolumeCell, prepare_batches
from relurepro.relu_prime.volume_stats import BATCH_COLUMNS, batch_norms

mode = jobs.start(snakemake)
w = snakemake.wildcards
data = load_dataset(w.dataset, w.split, root=snakemake.params.data_root).subset(int(w.samples))
cell = VolumeCell("no_first_relu", 3, 256, 256, int(w.bits), "pair")
xs, ys = prepare_batches(data, cell, mode["device"])
rows = [row for seed in tqdm(range(int(w.runs)), mininterval=5) for row in batch_norms(cell, xs, ys, seed, w.comparison)]
pd.DataFrame(rows, columns=BATCH_COLUMNS).to_csv(snakemake.output[0], index=False)
