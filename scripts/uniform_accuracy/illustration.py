"""The illustration from the sine run (rule ua_illustration)."""

import numpy as np

from relurepro.pipeline import jobs
from relurepro.uniform_accuracy import figures
from relurepro.uniform_accuracy.cell import read_sine
from relurepro.uniform_accuracy.illustration import zoom_windows

jobs.start(snakemake)
read_sine(snakemake.input.metrics)  # the run the plots come from, checked against its schema
run = np.load(snakemake.input.plots)
x, model, target = run["plot_x"], run["values"][-1, 0], run["target_values"][0]
samples_x, samples_y = run["samples"][0][:, 0], run["labels"][0]
windows = zoom_windows(x, model, target, samples_x)
windows.to_csv(snakemake.output.windows, index=False)
print(windows.to_string())
figures.illustration(x, model, target, (samples_x, samples_y), windows, float(windows.l2.iloc[0]),
                     snakemake.params.note, snakemake.output.pdf, snakemake.output.png)
