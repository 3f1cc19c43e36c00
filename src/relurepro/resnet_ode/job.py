"""One tiny run end to end, as rule ro_tiny_train runs it (one run per job, or a pack of runs one after another in
one job): build the seeded net, train it, write its metrics.csv (a row per epoch) and model.pt."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from relurepro.resnet_ode.grid import TinyRun
from relurepro.resnet_ode.training import TinyRecipe, build, split_grad, train_run


def train_tiny_run(run: TinyRun, recipe: TinyRecipe, data, device: str, metrics: str | Path, model: str | Path,
                   checkpoint: Path | None) -> None:
    """Everything a run depends on is set here from `run` and `recipe` (`build` seeds every generator, the
    training config seeds the batch order), so a run gives the same bytes whether it has a job to itself or
    follows other runs in a pack (tests/resnet_ode/test_resnet_ode_job.py). `data` is training.load's, read once per job."""
    torch.set_flush_denormal(True)  # diverging adjoint runs hit denormals (pitfall P10)
    grad, bn_recompute = split_grad(run.grad)
    net = build(recipe, run.depth, run.method, grad, run.seed, bn_recompute=bn_recompute)
    rows = train_run(net, recipe.train_config(run.seed, device), data, checkpoint=checkpoint,
                     desc=f"depth {run.depth} {run.method} {run.grad} seed {run.seed}")
    table = pd.DataFrame(rows).assign(depth=run.depth, method=run.method, grad=grad, bn_recompute=bn_recompute,
                                      seed=run.seed, dataset=recipe.dataset, init=recipe.init,
                                      zero_init=recipe.zero_init,
                                      adjoint_variant=recipe.adjoint if grad == "adjoint" else "none",
                                      channels=recipe.channels, device=device)
    table.to_csv(metrics, index=False)
    torch.save(net.state_dict(), model)
