"""Reconstruction error of the reverse pass vs depth (rule ro_reconstruction)."""

import pandas as pd
import torch

from relurepro.pipeline import jobs
from relurepro.resnet_ode.experiments import reconstruction_rows
from relurepro.resnet_ode.training import load

jobs.start(snakemake)
c, dataset = snakemake.params.reconstruction, snakemake.params.dataset
torch.set_flush_denormal(True)
# The first 64 normalised test images (the original used 64 normalised CIFAR-10 images of unknown origin).
x = load(dataset, snakemake.config["data_root"])[1].x[:64]
rows = pd.DataFrame(reconstruction_rows(c["depths"], x, c["method"], c["seed"]))
print(rows.to_string(), flush=True)
rows.to_csv(snakemake.output[0], index=False)
