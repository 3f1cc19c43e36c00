"""Rule leaf_train: one leaf run, or a pack of runs one after another (leaf.runs_per_job > 1: rules
leaf_train__<pack>); per run stat.csv per epoch, and for adaptive activations the statistics of the learned
parameters and sampled learned shapes (relurepro.leaf.job)."""

from pathlib import Path

from relurepro.leaf.grid import Run
from relurepro.leaf.job import train_run
from relurepro.pipeline import jobs

mode = jobs.start(snakemake)
c, out = snakemake.params.leaf, snakemake.output
if "runs" in snakemake.params.keys():  # a pack: its runs in order, one output of each kind per run
    runs = [Run(**r) for r in snakemake.params.runs]
    stats, params, shapes = list(out.stat), list(out.params), list(out.shapes)
else:
    w = snakemake.wildcards
    runs = [Run(w.net, w.ds, w.af, w.type, w.opt, int(w.dspt), int(w.p24sl), int(w.seed))]
    stats, params, shapes = [out.stat], [out.params], [out.shapes]
for i, (run, stat) in enumerate(zip(runs, stats)):
    assert stat == run.path(), (stat, run.path())  # the output list follows the run list
    print(f"run {i + 1} of {len(runs)}", flush=True)
    train_run(run, c, snakemake.config["data_root"], mode["device"], stat, params[i], shapes[i],
              checkpoint=jobs.checkpoint_for(snakemake, Path(stat).parent))
# Outputs written: a rerun starts from scratch. In a pack only now, so that a pack stopped half-way resumes its
# finished runs from their last checkpoints instead of training them again.
for stat in stats:
    jobs.finish(Path(stat).parent)
