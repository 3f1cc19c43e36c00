"""Table 2 ImageNet row (rule ro_imagenet_finetune; paper scale): the tied ImageNet model unrolled at 64 blocks
per stage, untied (adjoint in every stage), all parameters fine-tuned; validated before the first epoch and after
the last (the original did neither, B10)."""

import logging
from pathlib import Path

import pandas as pd
import torch

from relurepro import checkpoints
from relurepro.pipeline import jobs
from relurepro.imagenet import ImageNetConfig, datasets, evaluate, loader, train_imagenet
from relurepro.numerics import seed_everything
from relurepro.resnet_ode.aggregate import SHARED_STATS, finetune_table
from relurepro.resnet_ode.models import tied_resnet
from relurepro.resnet_ode.training import unrolled_untied

mode = jobs.start(snakemake)
p = snakemake.params
c, tied_cfg = p.imagenet["finetune"], p.imagenet["tied"]
seed_everything(c["seed"])
tied = tied_resnet(1000, tied_cfg["n_layers"])
tied.load_state_dict(checkpoints.load(snakemake.input.model, map_location="cpu")["state"])
unrolled, untied = unrolled_untied(tied, c["counts"], c["adjoint_above"])
cfg = ImageNetConfig(epochs=c["epochs"], batch_size=c["batch"], lr=c["lr"], momentum=c["momentum"],
                     weight_decay=c["weight_decay"], lr_step=c["lr_step"], lr_gamma=c["lr_gamma"],
                     workers=c["workers"], max_batches=c.get("max_batches"), seed=c["seed"], device=mode["device"])
device = torch.device(mode["device"])
val_loader = loader(datasets(p.imagenet_dir, cfg)[1], cfg, shuffle=False)
before = {}
for name, model in (("tied", tied), ("unrolled", unrolled)):
    before[name, SHARED_STATS] = evaluate(model.to(device), val_loader, device)[1]
    model.cpu()
logging.info("before fine-tuning: %s", before)
out = Path(snakemake.output.table)
rows = train_imagenet(untied, p.imagenet_dir, cfg, checkpoint=jobs.checkpoint_for(snakemake, out.parent),
                      on_epoch=lambda row: logging.info("epoch %s", row))
finetune_table("imagenet", tied_cfg["n_layers"], c["counts"], "all parameters", before,
               {"eval (running statistics)": rows[-1]["val_top1"]}, epochs=c["epochs"], lr=c["lr"],
               device=mode["device"]).to_csv(out, index=False)
pd.DataFrame(rows).to_csv(snakemake.output.curve, index=False)
jobs.finish(out.parent)  # outputs written: a rerun starts from scratch
