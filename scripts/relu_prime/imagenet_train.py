"""One ImageNet ResNet50 run with ReLU'(0) = alpha, protocol P4 (rule rp_imagenet_train; paper scale only)."""

import logging
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from relurepro.pipeline import jobs
from relurepro.activations import ReLUAlpha
from relurepro.imagenet import COLUMNS, ImageNetConfig, require_imagenet, train_imagenet
from relurepro.models.resnet import resnet50_imagenet
from relurepro.numerics import deterministic_kernels, seed_everything

mode = jobs.start(snakemake)
p, w = snakemake.params, snakemake.wildcards
# Fails here, when the job runs (not while planning), with a message naming the setting.
counts = require_imagenet(p.imagenet_dir)
logging.info("ImageNet folder %s: %s class folders", p.imagenet_dir, counts)
if mode["deterministic"]:
    # CUDA has no deterministic backward for the max pool and the adaptive average pool of ResNet50: keep the
    # deterministic kernels that exist and warn for the others instead of failing.
    deterministic_kernels(True, warn_only=True)

alpha, run = float(w.alpha), int(w.run)
seed = 1000 * run + int(round(100 * alpha))  # explicit, recorded; different per (alpha, run)
seed_everything(seed)
g = p.imagenet
cfg = ImageNetConfig(epochs=g["epochs"], batch_size=g["batch"], lr=g["lr"], momentum=g["momentum"],
                     weight_decay=g["weight_decay"], lr_step=g["lr_step"], lr_gamma=g["lr_gamma"],
                     workers=g["workers"], max_batches=g.get("max_batches"), seed=seed, device=mode["device"])
model = resnet50_imagenet(num_classes=1000, activation=lambda: ReLUAlpha(alpha, mode=p.relu_grad_mode))
out = Path(snakemake.output[0])
# The checkpoint is not a declared output, so it survives a failed or killed job and the rerun resumes from it; its
# name hashes the job's params (library code included) and inputs, so no other configuration resumes from it.
rows = train_imagenet(model, p.imagenet_dir, cfg, checkpoint=jobs.checkpoint_for(snakemake, out.parent),
                      relu_types=(ReLUAlpha,),
                      on_epoch=lambda row: logging.info("epoch %s", row))
table = pd.DataFrame(rows, columns=list(COLUMNS))
recorded = {"alpha": alpha, "run": run, "seed": seed, "relu_grad_mode": p.relu_grad_mode, "device": mode["device"],
            **{f"cfg_{k}": v for k, v in asdict(cfg).items() if k not in ("device", "seed")}}
for key, value in recorded.items():
    table[key] = value
table.to_csv(out, index=False)
jobs.finish(out.parent)  # outputs written: a rerun starts from scratch
