"""The sine run behind the illustration (rule ua_sine): one trial in the original's order of random draws
(initialisation, samples, DataLoader shuffles from the global generators; relurepro.uniform_accuracy.single_trial)."""

from pathlib import Path

from relurepro.pipeline import jobs
from relurepro.uniform_accuracy.cell import run_cell
from relurepro.uniform_accuracy.errors import TestPoints
from relurepro.uniform_accuracy.training import Experiment

mode = jobs.start(snakemake)
sine = snakemake.params.sine
table = run_cell(d=1, exp=Experiment("sine", **sine["experiment"]), m=sine["m"], width=sine["width"],
                 depth=sine["depth"], students=[(None, sine["seed"])], teachers_path=None, bits=sine["bits"],
                 test=TestPoints(d=1, **sine["test_points"]), device=mode["device"],
                 out_metrics=snakemake.output.metrics, out_plots=snakemake.output.plots,
                 checkpoint=jobs.checkpoint_for(snakemake, Path(snakemake.output.metrics).parent),
                 plot_n=sine["plot_points"], data_rng="trial_order")
print(table.to_string())
jobs.finish(Path(snakemake.output.metrics).parent)  # outputs written: a rerun starts from scratch
