"""ImageNet runs of the bottleneck ODE ResNets (rule ro_imagenet_run; paper scale): the tied model of Figure 3a
(`tied`) and ResNet-101 with backprop or with the adjoint on its long stage (Figure 3b)."""

import logging
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import torch

from relurepro.pipeline import jobs
from relurepro.imagenet import COLUMNS, ImageNetConfig, require_imagenet, train_imagenet
from relurepro.numerics import seed_everything
from relurepro.resnet_ode.models import tied_resnet
from relurepro.resnet_ode.training import resnet101

mode = jobs.start(snakemake)
p, run = snakemake.params, snakemake.wildcards.ro_run
logging.info("ImageNet folder %s: %s", p.imagenet_dir, require_imagenet(p.imagenet_dir))
c = p.imagenet["tied"] if run == "tied" else p.imagenet["resnet101"]
seed_everything(c["seed"])
if run == "tied":
    model = tied_resnet(1000, c["n_layers"])
else:
    model = resnet101(1000, run.endswith("adjoint"), c["adjoint_above"], c["bn_recompute"])
cfg = ImageNetConfig(epochs=c["epochs"], batch_size=c["batch"], lr=c["lr"], momentum=c["momentum"],
                     weight_decay=c["weight_decay"], lr_step=c["lr_step"], lr_gamma=c["lr_gamma"],
                     workers=c["workers"], max_batches=c.get("max_batches"), seed=c["seed"], device=mode["device"])
out = Path(snakemake.output.metrics)
# One checkpoint per run (the original shared one name between runs, B2), kept outside the declared outputs.
rows = train_imagenet(model, p.imagenet_dir, cfg, checkpoint=jobs.checkpoint_for(snakemake, out.parent),
                      on_epoch=lambda row: logging.info("epoch %s", row))
pd.DataFrame(rows, columns=list(COLUMNS)).assign(
    run=run, device=mode["device"], **{f"cfg_{k}": v for k, v in asdict(cfg).items() if k != "device"}
).to_csv(out, index=False)
torch.save({"config": c, "state": model.state_dict()}, snakemake.output.model)
jobs.finish(out.parent)  # outputs written: a rerun starts from scratch
