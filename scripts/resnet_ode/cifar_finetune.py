"""Table 2 CIFAR-10 row: the tied model unrolled at [4, 4, 32, 4] blocks, untied, layer3 fine-tuned with the
adjoint (rule ro_cifar_finetune; paper scale). The "before" accuracy is measured (the original never did, B11)."""

import copy
from pathlib import Path

import pandas as pd

from relurepro import checkpoints
from relurepro.pipeline import jobs
from relurepro.numerics import seed_everything
from relurepro.resnet_ode.resnet_runs import freeze_all_but, unrolled_untied
from relurepro.resnet_ode.resnets import tied_resnet
from relurepro.resnet_ode.tiny_training import accuracy, batch_stats_metrics, load, recalibrate_bn
from relurepro.training import TrainConfig, train

mode = jobs.start(snakemake)
c, tied_cfg = snakemake.params.finetune, snakemake.params.tied
seed_everything(c["seed"])
saved = checkpoints.load(snakemake.input.model, map_location="cpu")
tied = tied_resnet(10, tied_cfg["n_layers"])
tied.load_state_dict(saved["state"])
unrolled, untied = unrolled_untied(tied, c["counts"], c["adjoint_above"])
train_data, test_data, transform = load("cifar10", snakemake.config["data_root"])
b = c["test_batch"]
device = mode["device"]
for m in (tied, unrolled, untied):
    m.to(device)
test_dev, train_dev = test_data.to(device), train_data.to(device)
before = {"tied": accuracy(tied, test_dev, b), "unrolled": accuracy(unrolled, test_dev, b),
          "unrolled_bs": accuracy(unrolled, test_dev, b, batch_stats=True), "untied": accuracy(untied, test_dev, b),
          "recalibrated": accuracy(recalibrate_bn(copy.deepcopy(untied), train_dev, b), test_dev, b)}
freeze_all_but(untied, 2 if c["train"] == "layer3" else None)
cfg = TrainConfig(epochs=c["epochs"], batch_size=c["batch"], lr=c["lr"], momentum=c["momentum"],
                  weight_decay=c["weight_decay"], schedule="step", milestones=tuple(c["milestones"]), seed=c["seed"],
                  test_batch_size=b, device=device)
out = Path(snakemake.output.table)
rows = train(untied, train_data, test_data, cfg, checkpoint=jobs.checkpoint_for(snakemake, out.parent),
             transform=transform,
             extra_metrics=batch_stats_metrics(b), desc="finetune cifar")
blocks = "/".join(map(str, c["counts"]))
table = pd.DataFrame([
    ("before", f"tied n_layers={tied_cfg['n_layers']}", "eval (shared running statistics)", before["tied"]),
    ("before", f"tied unrolled at {blocks}", "eval (shared running statistics)", before["unrolled"]),
    ("before", f"tied unrolled at {blocks}", "batch statistics", before["unrolled_bs"]),
    ("before", f"untied {blocks}", "eval (shared running statistics)", before["untied"]),
    ("before", f"untied {blocks}", "eval (per-copy recalibrated statistics)", before["recalibrated"]),
    ("after", f"untied {blocks} + adjoint fine-tuning ({c['train']})", "eval (running statistics)",
     rows[-1]["test_accuracy"]),
    ("after", f"untied {blocks} + adjoint fine-tuning ({c['train']})", "batch statistics",
     rows[-1]["test_accuracy_batch_stats"]),
], columns=["stage", "model", "bn_mode", "accuracy"])
table.assign(dataset="cifar10", top1=100 * table.accuracy, epochs=c["epochs"], lr=c["lr"], device=device).drop(
    columns="accuracy").to_csv(out, index=False)
pd.DataFrame(rows).to_csv(snakemake.output.curve, index=False)
jobs.finish(out.parent)  # outputs written: a rerun starts from scratch
