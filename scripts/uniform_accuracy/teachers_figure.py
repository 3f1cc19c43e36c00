"""All teachers overlaid per dimension, and the fingerprint table (rule ua_teachers_figure)."""

import json

import pandas as pd
import torch

from relurepro.pipeline import jobs
from relurepro.uniform_accuracy import figures
from relurepro.uniform_accuracy.teachers import load_teachers
from relurepro.uniform_accuracy.training import plot_points

jobs.start(snakemake)
curves, prints = {}, []
for d, weights, fingerprint in zip(snakemake.params.dims, snakemake.input.weights, snakemake.input.fingerprints):
    seeds = torch.load(weights, weights_only=True)["seeds"]
    x = plot_points(d)
    with torch.no_grad():
        curves[d] = (x[:, 0].numpy(), load_teachers(weights, seeds)(x).numpy())
    prints += json.loads(open(fingerprint).read())
pd.DataFrame(prints).to_csv(snakemake.output.fingerprint, index=False)
figures.teachers(curves, snakemake.params.note, snakemake.output.pdf, snakemake.output.png)
