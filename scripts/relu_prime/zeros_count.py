"""Exact-zero counts of the zero-counting MLP for one job of rule rp_zeros_count (§3.28 / §5.3.4): every
(L, N) cell of the job's lists at one precision, `runs` runs each; protocol init (forward passes at
initialisation) or train (SGD epochs through relurepro.training.train)."""

import logging
import shutil
from pathlib import Path

import pandas as pd

from relurepro.pipeline import jobs
from relurepro.data import load_dataset
from relurepro.training import TrainConfig
from relurepro.relu_prime.zeros_ratio import RUN_COLUMNS, count_at_init, count_in_training
from relurepro.relu_prime.grid import parse_list

mode = jobs.start(snakemake)
w, z = snakemake.wildcards, snakemake.params.zeros
data = load_dataset(w.dataset, w.split, root=snakemake.params.data_root).subset(int(w.samples))
bits, runs = int(w.bits), int(w.runs)
out = Path(snakemake.output[0])
rows = []
for layers in parse_list(w.layer_list):
    for neurons in parse_list(w.neuron_list):
        if w.protocol == "init":
            data_on = data.to(mode["device"])
            rows += count_at_init(data_on, layers, neurons, bits, runs, batch_size=z["batch"])
        else:
            # The original: SGD with momentum and weight decay, batches in order (DataLoader default), no schedule.
            cfg = TrainConfig(epochs=int(w.epochs), batch_size=z["batch"], optimizer="sgd", lr=z["lr"],
                              momentum=z["momentum"], weight_decay=z["weight_decay"], shuffle=False,
                              device=mode["device"])
            rows += count_in_training(data, layers, neurons, bits, runs, cfg,
                                      checkpoint_dir=out.parent / f"checkpoints_L{layers}_N{neurons}")
        cell = [r for r in rows if r["layers"] == layers and r["neurons"] == neurons]
        logging.info("L=%d N=%d %d bit: %d exact zeros in %d ReLU calls", layers, neurons, bits,
                     sum(r["zeros"] for r in cell), sum(r["relu_calls"] for r in cell))
table = pd.DataFrame(rows, columns=list(RUN_COLUMNS))
table.to_csv(out, index=False)
for done in out.parent.glob("checkpoints_L*_N*"):  # outputs written: a rerun starts from scratch
    shutil.rmtree(done)
