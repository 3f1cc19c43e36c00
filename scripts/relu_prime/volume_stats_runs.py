"""Norm-diff runs of one (comparison, precision) (rule rp_volume_stats_runs), or of a pack of them one after another
(volume_mnist_stats.cells_per_job > 1: rules rp_volume_stats_runs__<pack>)."""

import pandas as pd
from tqdm import tqdm

from relurepro.pipeline import jobs
from relurepro.data import load_dataset
from relurepro.relu_prime.volume import VolumeCell, prepare_batches
from relurepro.relu_prime.volume_stats import BATCH_COLUMNS, batch_norms

mode = jobs.start(snakemake)
cells = jobs.cells_of(snakemake)
w = cells[0]  # every cell of a job walks the same samples
data = load_dataset(w["dataset"], w["split"], root=snakemake.params.data_root).subset(int(w["samples"]))
for w, out in zip(cells, snakemake.output, strict=True):
    print(f"{w['comparison']}, {w['bits']} bit: {out}", flush=True)
    cell = VolumeCell("no_first_relu", 3, 256, 256, int(w["bits"]), "pair")
    xs, ys = prepare_batches(data, cell, mode["device"])
    rows = [row for seed in tqdm(range(int(w["runs"])), mininterval=5)
            for row in batch_norms(cell, xs, ys, seed, w["comparison"])]
    pd.DataFrame(rows, columns=BATCH_COLUMNS).to_csv(out, index=False)
