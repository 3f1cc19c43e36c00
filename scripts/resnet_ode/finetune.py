"""Table 2 on the tiny net: the tied model unrolled at N, untied into N copies and fine-tuned (residual functions
only) with the chained adjoint; the "before" accuracy in every batch-norm variant of switch S4 (rule ro_finetune)."""

from pathlib import Path

import pandas as pd
import torch

from relurepro import checkpoints
from relurepro.pipeline import jobs
from relurepro.resnet_ode.training import TinyRecipe, build, load, untie_and_finetune

mode = jobs.start(snakemake)
torch.set_flush_denormal(True)
c, tied_cfg = snakemake.params.finetune, snakemake.params.tied
recipe = TinyRecipe.from_config(snakemake.params.recipe)
saved = checkpoints.load(snakemake.input.model, map_location="cpu")
tied = build(recipe, saved["config"]["depth"], "euler", "backprop", tied_cfg["seed"], tied=True)
tied.load_state_dict(saved["state"])
data = load(recipe.dataset, snakemake.config["data_root"])
cfg = recipe.train_config(tied_cfg["seed"], mode["device"], epochs=c["epochs"], lr=c["lr"],
                          milestones=tuple(c["milestones"]))
out = Path(snakemake.output.table)
before, rows, _ = untie_and_finetune(tied, c["depth"], recipe, cfg, data,
                                     checkpoint=jobs.checkpoint_for(snakemake, out.parent))
last = rows[-1]
table = pd.DataFrame([
    {"dataset": recipe.dataset, "stage": "before", "model": f"tied N={saved['config']['depth']}",
     "bn_mode": "eval (shared running statistics)", "top1": 100 * before["tied_eval_trained_depth"]},
    {"dataset": recipe.dataset, "stage": "before", "model": f"tied unrolled at N={c['depth']}",
     "bn_mode": "eval (shared running statistics)", "top1": 100 * before["tied_eval"]},
    {"dataset": recipe.dataset, "stage": "before", "model": f"tied unrolled at N={c['depth']}",
     "bn_mode": "batch statistics", "top1": 100 * before["tied_batch_stats"]},
    {"dataset": recipe.dataset, "stage": "before", "model": f"untied N={c['depth']}",
     "bn_mode": "eval (shared running statistics)", "top1": 100 * before["untied_eval"]},
    {"dataset": recipe.dataset, "stage": "before", "model": f"untied N={c['depth']}",
     "bn_mode": "eval (per-copy recalibrated statistics)", "top1": 100 * before["untied_recalibrated"]},
    {"dataset": recipe.dataset, "stage": "after", "model": f"untied N={c['depth']} + adjoint fine-tuning",
     "bn_mode": "eval (running statistics)", "top1": 100 * last["test_accuracy"]},
    {"dataset": recipe.dataset, "stage": "after", "model": f"untied N={c['depth']} + adjoint fine-tuning",
     "bn_mode": "batch statistics", "top1": 100 * last["test_accuracy_batch_stats"]},
])
print(table.to_string(), flush=True)
table.assign(max_abs_output_gap_untie=before["max_abs_output_gap"], epochs=c["epochs"], lr=c["lr"],
             device=mode["device"]).to_csv(out, index=False)
pd.DataFrame(rows).to_csv(snakemake.output.curve, index=False)
jobs.finish(out.parent)  # outputs written: a rerun starts from scratch
