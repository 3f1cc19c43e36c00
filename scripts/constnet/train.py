"""One constnet run: a ConstNet arm or a LeakyNet init string, one seed (rules cn_constnet, cn_leakynet)."""

from pathlib import Path

import pandas as pd
import torch

from relurepro.pipeline import jobs
from relurepro.constnet.data import load
from relurepro.constnet.grid import build_model
from relurepro.constnet.symmetry import configure
from relurepro.constnet.tensorboard import write_events
from relurepro.constnet.training import ConstRecipe, train

mode = jobs.start(snakemake)
p, w = snakemake.params, snakemake.wildcards
arm, seed = p.arm, int(w.seed)
device = torch.device(mode["device"])
numerics = configure(arm["breaker"], device)
torch.manual_seed(seed)
train_data, test_data, transform = load(p.data, snakemake.config["data_root"], p.train_samples)
model = build_model(p.kind, arm, p.net, in_channels=train_data.x.shape[1])
recipe = ConstRecipe(epochs=p.schedule["epochs"], batch=p.schedule["batch"], lr=p.schedule["lr"],
                     schedule=p.schedule["kind"], breaker=arm["breaker"], chunks=arm.get("chunks", 8), seed=seed,
                     expect_symmetric=p.kind == "constnet" and arm["init"] == "const" and arm["breaker"] == "det"
                     and arm["droprate"] == 0, device=mode["device"])
out = Path(snakemake.output.metrics)
rows, corr = train(model, train_data, test_data, recipe, transform=transform,
                   checkpoint=jobs.checkpoint_for(snakemake, out.parent),
                   desc=f"{p.kind} {w.name} seed {seed}")
record = {"kind": p.kind, "name": w.name, "seed": seed, "data": p.data, **{f"arm_{k}": v for k, v in arm.items()},
          **{f"numerics_{k}": v for k, v in numerics.items()}, "device": mode["device"]}
pd.DataFrame(rows).assign(**record).to_csv(out, index=False)
pd.DataFrame(corr).assign(kind=p.kind, name=w.name, seed=seed).to_csv(snakemake.output.correlations, index=False)
write_events(snakemake.output.tensorboard, model, rows, corr)
jobs.finish(out.parent)  # outputs written: a rerun starts from scratch
