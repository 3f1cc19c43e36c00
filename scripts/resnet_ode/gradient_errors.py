"""Per-parameter gradient errors of the adjoint against backprop vs depth, Euler and Heun (rule
ro_gradient_errors). Base weights: a random net (quick) or the depth-32 adjoint-trained seed-1 runs (paper)."""

import pandas as pd
import torch

from relurepro import checkpoints
from relurepro.pipeline import jobs
from relurepro.resnet_ode.gradient_errors import gradient_errors
from relurepro.resnet_ode.models import TinyODENet
from relurepro.resnet_ode.training import TinyRecipe, load, stem_for

mode = jobs.start(snakemake)
device = torch.device(mode["device"])  # the rule asks for a GPU where there is one: use it
torch.set_flush_denormal(True)
c = snakemake.params.gradient_errors
recipe = TinyRecipe.from_config(snakemake.params.recipe)
train_data, _, transform = load(recipe.dataset, snakemake.config["data_root"])
generator = torch.Generator().manual_seed(c["seed"])
idx = torch.randperm(len(train_data), generator=generator)[:c["batch"]]  # the first batch of a shuffled epoch
x, y = train_data.x[idx], train_data.y[idx]
if transform is not None:
    x = transform(x, generator)
x, y = x.to(device), y.to(device)
rows = []
for method in snakemake.params.methods:
    torch.manual_seed(c["seed"])
    base = TinyODENet(c["base_depth"], method, stem=stem_for(recipe.dataset), zero_init=False,
                      channels=recipe.channels)
    if c["base"] == "checkpoint":
        base.load_state_dict(checkpoints.load(snakemake.input.models[snakemake.params.methods.index(method)]))
    base.to(device)
    for depth in c["depths"]:
        rows += gradient_errors(base, depth, method, x, y, local=recipe.adjoint == "local")
        print(method, depth, pd.DataFrame(rows).query("depth == @depth and method == @method").relative.median(),
              flush=True)
pd.DataFrame(rows).assign(base=c["base"], base_depth=c["base_depth"], batch=c["batch"], seed=c["seed"],
                          adjoint_variant=recipe.adjoint).to_csv(snakemake.output[0], index=False)
