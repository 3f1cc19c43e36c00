"""Train the students of one part of a (d, experiment, m, width) cell (rule ua_train)."""

from pathlib import Path

from relurepro.pipeline import jobs
from relurepro.uniform_accuracy.cell import run_cell
from relurepro.uniform_accuracy.grid import students_of
from relurepro.uniform_accuracy.errors import TestPoints
from relurepro.uniform_accuracy.training import Experiment

mode = jobs.start(snakemake)
w, ua = snakemake.wildcards, snakemake.params.ua
d, m = int(w.d), int(w.m)
if w.exp not in ua["experiments"]:
    raise ValueError(f"experiment {w.exp!r} is not in this scale's {sorted(ua['experiments'])}")
students = students_of(list(range(ua["teachers"])), ua["seeds"], int(w.part), int(w.parts))
table = run_cell(d=d, exp=Experiment(w.exp, **ua["experiments"][w.exp]), m=m, width=int(w.width),
                 depth=ua["depth"], students=students, teachers_path=snakemake.input.teachers, bits=ua["bits"],
                 test=TestPoints(d=d, **ua["test_points"][str(d)]), device=mode["device"],
                 out_metrics=snakemake.output.metrics, out_plots=snakemake.output.plots,
                 checkpoint=jobs.checkpoint_for(snakemake, Path(snakemake.output.metrics).parent))
print(table.groupby("iteration")[["L1", "L2", "Linfinity", "train_L2"]].max().to_string())
jobs.finish(Path(snakemake.output.metrics).parent)  # outputs written: a rerun starts from scratch
