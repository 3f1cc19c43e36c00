"""Table 2 CIFAR-10 row: the tied model unrolled at [4, 4, 32, 4] blocks, untied, layer3 fine-tuned with the
adjoint (rule ro_cifar_finetune; paper scale). The "before" accuracy is measured (the original never did, B11)."""

import copy
from pathlib import Path

import pandas as pd

from relurepro import checkpoints
from relurepro.pipeline import jobs
from relurepro.numerics import seed_everything
from relurepro.resnet_ode.aggregate import SHARED_STATS, finetune_table
from relurepro.resnet_ode.models import tied_resnet
from relurepro.resnet_ode.training import (accuracy, batch_stats_metrics, freeze_all_but, load, recalibrate_bn,
                                           unrolled_untied)
from relurepro.training import TrainConfig, train

mode = jobs.start(snakemake)
c, tied_cfg = snakemake.params.finetune, snakemake.params.tied
seed_everything(c["seed"])
saved = checkpoints.load(snakemake.input.model, map_location="cpu")
tied = tied_resnet(10, tied_cfg["n_layers"])
tied.load_state_dict(saved["state"])
unrolled, untied = unrolled_untied(tied, c["counts"], c["adjoint_above"])
train_data, test_data, transform = load("cifar10", snakemake.config["data_root"], c.get("train_samples"))
b = c["test_batch"]
device = mode["device"]
for m in (tied, unrolled, untied):
    m.to(device)
test_dev, train_dev = test_data.to(device), train_data.to(device)
before = {("tied", SHARED_STATS): accuracy(tied, test_dev, b),
          ("unrolled", SHARED_STATS): accuracy(unrolled, test_dev, b),
          ("unrolled", "batch statistics"): accuracy(unrolled, test_dev, b, batch_stats=True),
          ("untied", SHARED_STATS): accuracy(untied, test_dev, b),
          ("untied", "eval (per-copy recalibrated statistics)"):
              accuracy(recalibrate_bn(copy.deepcopy(untied), train_dev, b), test_dev, b)}
freeze_all_but(untied, 2 if c["train"] == "layer3" else None)
cfg = TrainConfig(epochs=c["epochs"], batch_size=c["batch"], lr=c["lr"], momentum=c["momentum"],
                  weight_decay=c["weight_decay"], schedule="step", milestones=tuple(c["milestones"]), seed=c["seed"],
                  test_batch_size=b, device=device)
out = Path(snakemake.output.table)
rows = train(untied, train_data, test_data, cfg, checkpoint=jobs.checkpoint_for(snakemake, out.parent),
             transform=transform,
             extra_metrics=batch_stats_metrics(b), desc="finetune cifar")
after = {"eval (running statistics)": rows[-1]["test_accuracy"],
         "batch statistics": rows[-1]["test_accuracy_batch_stats"]}
finetune_table("cifar10", tied_cfg["n_layers"], c["counts"], c["train"], before, after, epochs=c["epochs"],
               lr=c["lr"], device=device).to_csv(out, index=False)
pd.DataFrame(rows).to_csv(snakemake.output.curve, index=False)
jobs.finish(out.parent)  # outputs written: a rerun starts from scratch
