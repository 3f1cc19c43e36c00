"""Tied tiny net pretraining: one residual function shared by every step (rule ro_tied; the quick stand-in for
the tied CIFAR-10 ResNet). Test accuracy in eval mode and with batch statistics per epoch (switch S4)."""

from pathlib import Path

import pandas as pd
import torch

from relurepro.pipeline import jobs
from relurepro.resnet_ode.aggregate import read_tied
from relurepro.resnet_ode.training import TinyRecipe, batch_stats_metrics, build, load, train_run

mode = jobs.start(snakemake)
torch.set_flush_denormal(True)
c = snakemake.params.tied
recipe = TinyRecipe.from_config(snakemake.params.recipe)
net = build(recipe, c["depth"], "euler", "backprop", c["seed"], tied=True)
out = Path(snakemake.output.metrics)
cfg = recipe.train_config(c["seed"], mode["device"], epochs=c["epochs"], milestones=())
rows = train_run(net, cfg, load(recipe.dataset, snakemake.config["data_root"]),
                 checkpoint=jobs.checkpoint_for(snakemake, out.parent),
                 extra_metrics=batch_stats_metrics(recipe.test_batch), desc=f"tied depth {c['depth']}")
table = pd.DataFrame(rows).assign(depth=c["depth"], seed=c["seed"], dataset=recipe.dataset, bn="shared",
                                  device=mode["device"])
read_tied(out, c["epochs"], table)  # checked against its schema before it is written
table.to_csv(out, index=False)
torch.save({"config": {"depth": c["depth"], "channels": recipe.channels, "dataset": recipe.dataset},
            "state": net.state_dict()}, snakemake.output.model)
jobs.finish(out.parent)  # outputs written: a rerun starts from scratch
