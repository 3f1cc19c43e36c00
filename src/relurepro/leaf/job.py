"""One leaf run end to end, as rule leaf_train runs it (one run per job, or a pack of runs one after another in one
job): train, then write the run's stat.csv (per epoch), params.csv (learned-parameter statistics) and shapes.csv
(sampled learned shapes of adaptive activations)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from relurepro.leaf.analysis import parameter_stats, shape_samples
from relurepro.leaf.data import load
from relurepro.leaf.grid import Run
from relurepro.leaf.models import build_net
from relurepro.leaf.training import LeafRecipe, train

PARAM_COLUMNS = ["layer", "param", "mean", "std", "min", "q05", "median", "q95", "max", "frac_abs_gt_0.1"]
SHAPE_COLUMNS = ["row", "layer", "col", "position", "x", "learned", "base"]


def train_run(run: Run, c: dict, data_root: str, device: str, stat: str | Path, params: str | Path,
              shapes: str | Path, checkpoint: Path | None) -> None:
    """Everything a run depends on is set here from `run` and the scale's leaf config `c`, so a run gives the same
    bytes whether it has a job to itself or follows other runs in a pack (tests/leaf/test_job.py)."""
    train_data, test_data = load(c["datasets"][run.ds], data_root, c["train_samples"], c["test_samples"])
    torch.manual_seed(run.seed)  # the original seeds once before building the net: same weights for base/AHAF/LEAF
    net = build_net(run.net, run.type, run.af, tuple(train_data.x.shape[1:]))
    recipe = LeafRecipe(epochs=c["epochs"], batch=c["batch"], opt=run.opt, dspt=bool(run.dspt),
                        p24sl=bool(run.p24sl), augment=c["augment"], shuffle=c["train_shuffle"],
                        aaf_lr_scale=c["aaf_lr_scale"], seed=run.seed, device=device)
    rows = train(net, train_data, test_data, recipe, checkpoint=checkpoint,
                 desc=f"{run.net} {run.ds} {run.af} {run.type} {run.opt} dspt {run.dspt} p24sl {run.p24sl} "
                      f"seed {run.seed}")
    record = dict(net=run.net, ds=run.ds, data=c["datasets"][run.ds], af=run.af, type=run.type, opt=run.opt,
                  dspt=run.dspt, p24sl=run.p24sl, seed=run.seed, batch=recipe.batch, augment=recipe.augment,
                  train_shuffle=recipe.shuffle, aaf_lr_scale=recipe.aaf_lr_scale, device=device)
    pd.DataFrame(rows).assign(**record).to_csv(stat, index=False)
    net.cpu()
    pd.DataFrame(parameter_stats(net), columns=PARAM_COLUMNS).assign(**record).to_csv(params, index=False)
    samples = shape_samples(net, run.af) if run.type != "base" else []
    pd.DataFrame(samples, columns=SHAPE_COLUMNS).assign(**record).to_csv(shapes, index=False)
