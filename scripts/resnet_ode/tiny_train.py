"""Rule ro_tiny_train: one tiny ODE-ResNet run (depth x integrator x gradient mode x seed), or a pack of runs one
after another (resnet_ode tiny.runs_per_job > 1: rules ro_tiny_train__<pack>); per run metrics.csv per epoch and
the trained model.pt (relurepro.resnet_ode.job)."""

from pathlib import Path

from relurepro.pipeline import jobs
from relurepro.resnet_ode.grid import TinyRun
from relurepro.resnet_ode.job import train_tiny_run
from relurepro.resnet_ode.training import TinyRecipe, load

mode = jobs.start(snakemake)
recipe = TinyRecipe.from_config(snakemake.params.recipe)
out = snakemake.output
if "runs" in snakemake.params.keys():  # a pack: its runs in order, one output of each kind per run
    runs = [TinyRun(**r) for r in snakemake.params.runs]
    metrics, models = list(out.metrics), list(out.model)
else:
    w = snakemake.wildcards
    runs = [TinyRun(int(w.depth), w.method, w.grad, int(w.seed))]
    metrics, models = [out.metrics], [out.model]
data = load(recipe.dataset, snakemake.config["data_root"])
for i, (run, csv) in enumerate(zip(runs, metrics)):
    assert csv == run.path(), (csv, run.path())  # the output list follows the run list
    print(f"run {i + 1} of {len(runs)}", flush=True)
    # The checkpoint is not a declared output: it survives a killed job, and the rerun resumes from it.
    train_tiny_run(run, recipe, data, mode["device"], csv, models[i],
                   checkpoint=jobs.checkpoint_for(snakemake, Path(csv).parent))
# Outputs written: a rerun starts from scratch. In a pack only now, so that a pack stopped half-way resumes its
# finished runs from their last checkpoints instead of training them again.
for csv in metrics:
    jobs.finish(Path(csv).parent)
