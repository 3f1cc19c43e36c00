"""One leaf training run (rule leaf_train): stat.csv per epoch, and for adaptive activations the statistics of
the learned parameters and sampled learned shapes."""

from pathlib import Path

import pandas as pd
import torch

from relurepro.pipeline import jobs
from relurepro.leaf.analysis import parameter_stats, shape_samples
from relurepro.leaf.data import load
from relurepro.leaf.models import build_net
from relurepro.leaf.training import LeafRecipe, train

mode = jobs.start(snakemake)
w, c = snakemake.wildcards, snakemake.params.leaf
seed = int(w.seed)
train_data, test_data = load(c["datasets"][w.ds], snakemake.config["data_root"], c["train_samples"],
                             c["test_samples"])
torch.manual_seed(seed)  # the original seeds once before building the net: same weights for base/AHAF/LEAF
net = build_net(w.net, w.type, w.af, tuple(train_data.x.shape[1:]))
recipe = LeafRecipe(epochs=c["epochs"], batch=c["batch"], opt=w.opt, dspt=bool(int(w.dspt)),
                    p24sl=bool(int(w.p24sl)), augment=c["augment"], shuffle=c["train_shuffle"],
                    aaf_lr_scale=c["aaf_lr_scale"], seed=seed, device=mode["device"])
out = Path(snakemake.output.stat)
rows = train(net, train_data, test_data, recipe, checkpoint=jobs.checkpoint_for(snakemake, out.parent),
             desc=f"{w.net} {w.ds} {w.af} {w.type} {w.opt} dspt {w.dspt} p24sl {w.p24sl} seed {seed}")
record = dict(net=w.net, ds=w.ds, data=c["datasets"][w.ds], af=w.af, type=w.type, opt=w.opt, dspt=int(w.dspt),
              p24sl=int(w.p24sl), seed=seed, batch=recipe.batch, augment=recipe.augment,
              train_shuffle=recipe.shuffle, aaf_lr_scale=recipe.aaf_lr_scale, device=mode["device"])
pd.DataFrame(rows).assign(**record).to_csv(out, index=False)
net.cpu()
pd.DataFrame(parameter_stats(net), columns=["layer", "param", "mean", "std", "min", "q05", "median", "q95", "max",
                                            "frac_abs_gt_0.1"]).assign(**record).to_csv(snakemake.output.params,
                                                                                        index=False)
shapes = shape_samples(net, w.af) if w.type != "base" else []
pd.DataFrame(shapes, columns=["row", "layer", "col", "position", "x", "learned", "base"]).assign(**record).to_csv(
    snakemake.output.shapes, index=False)
jobs.finish(out.parent)  # outputs written: a rerun starts from scratch
