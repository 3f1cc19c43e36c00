"""Figure 3a CIFAR-10: the tied bottleneck ResNet (IResNetAuto(10, n_layers)) trained from scratch, eval-mode and
batch-statistics test accuracy per epoch (rule ro_cifar_tied; paper scale)."""

from pathlib import Path

import pandas as pd
import torch

from relurepro.pipeline import jobs
from relurepro.numerics import seed_everything
from relurepro.resnet_ode.models import tied_resnet
from relurepro.resnet_ode.training import batch_stats_metrics, cifar_tied_config, load
from relurepro.training import train

mode = jobs.start(snakemake)
c = snakemake.params.tied
seed_everything(c["seed"])
model = tied_resnet(10, c["n_layers"])
train_data, test_data, transform = load("cifar10", snakemake.config["data_root"], c.get("train_samples"))
out = Path(snakemake.output.metrics)
rows = train(model, train_data, test_data, cifar_tied_config(c, c["seed"], mode["device"]),
             checkpoint=jobs.checkpoint_for(snakemake, out.parent), transform=transform,
             extra_metrics=batch_stats_metrics(c["test_batch"]), desc="tied cifar")
pd.DataFrame(rows).assign(n_layers=c["n_layers"], seed=c["seed"], dataset="cifar10", bn="shared",
                          device=mode["device"]).to_csv(out, index=False)
torch.save({"config": c, "state": model.state_dict()}, snakemake.output.model)
jobs.finish(out.parent)  # outputs written: a rerun starts from scratch
