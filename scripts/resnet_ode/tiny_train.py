"""One tiny ODE-ResNet training run: depth x integrator x gradient mode x seed (rule ro_tiny_train)."""

from pathlib import Path

import pandas as pd
import torch

from relurepro.pipeline import jobs
from relurepro.resnet_ode.training import TinyRecipe, build, load, split_grad, train_run

mode = jobs.start(snakemake)
torch.set_flush_denormal(True)  # diverging adjoint runs hit denormals (pitfall P10)
w = snakemake.wildcards
recipe = TinyRecipe.from_config(snakemake.params.recipe)
depth, seed = int(w.depth), int(w.seed)
grad, bn_recompute = split_grad(w.grad)
net = build(recipe, depth, w.method, grad, seed, bn_recompute=bn_recompute)
data = load(recipe.dataset, snakemake.config["data_root"])
out = Path(snakemake.output.metrics)
# The checkpoint is not a declared output: it survives a killed job, and the rerun resumes from it.
rows = train_run(net, recipe.train_config(seed, mode["device"]), data,
                 checkpoint=jobs.checkpoint_for(snakemake, out.parent),
                 desc=f"depth {depth} {w.method} {w.grad} seed {seed}")
table = pd.DataFrame(rows).assign(depth=depth, method=w.method, grad=grad, bn_recompute=bn_recompute, seed=seed,
                                  dataset=recipe.dataset, init=recipe.init, zero_init=recipe.zero_init,
                                  adjoint_variant=recipe.adjoint if grad == "adjoint" else "none",
                                  channels=recipe.channels, device=mode["device"])
table.to_csv(out, index=False)
torch.save(net.state_dict(), snakemake.output.model)
jobs.finish(out.parent)  # outputs written: a rerun starts from scratch
