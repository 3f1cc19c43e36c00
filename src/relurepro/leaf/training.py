"""leaf training procedures (§2.4-2.10): Standard, P24Sl (LEAF p2 and p4 at a reduced learning rate) and DSPT
(activation parameters and synaptic weights updated in two passes with separate optimizers), with Adam or RMSprop.

The original's data pipeline is copied where it matters for results: pixels in [0, 1] without normalisation,
horizontal flips and integer shifts of up to 10 % of the image on training images only, and **no shuffling** (every
epoch walks the training set in the same order; switch `train_shuffle`). Images stay tensors and are augmented in
batches from one seeded generator, which draws the same distribution as the original's per-sample transforms.

One row per epoch (the original's stat.csv): epoch (0-based), train_loss_mean and train_loss_var over minibatches
(of the last pass: under DSPT the stage-2 loss), test_acc (fraction), lr (every group of every optimizer,
space-separated), duration (training part of the epoch, seconds). The state is checkpointed after every epoch and a
rerun resumes from it; a non-finite loss marks the remaining epochs diverged (NaN rows).
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from relurepro import checkpoints
from relurepro.data import TensorData, batches
from relurepro.leaf.activations import split_parameters

OPTIMIZERS = ("adam", "rmsprop")
BASE_LR = {"adam": 1e-3, "rmsprop": 1e-4}
# P24Sl: p2 and p4 of LEAF at base_lr / 1000 (Adam) or / 10 (RMSprop).
P24_DIVISOR = {"adam": 1000.0, "rmsprop": 10.0}
COLUMNS = ("epoch", "train_loss_mean", "train_loss_var", "test_acc", "lr", "duration", "diverged")


@dataclass(frozen=True)
class LeafRecipe:
    epochs: int = 100
    batch: int = 128
    test_batch: int = 1000
    opt: str = "adam"
    dspt: bool = False
    p24sl: bool = False
    augment: bool = True
    shuffle: bool = False  # train_shuffle: the original's loader does not shuffle
    aaf_lr_scale: float = 1.0  # labelled deviation when != 1: p1/p3 (and AHAF) at a faster lr
    seed: int = 42
    device: str = "cpu"

    def __post_init__(self):
        if self.opt not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.opt!r}; choose one of {OPTIMIZERS}")


def _optimizer(opt: str, groups: list[dict]) -> torch.optim.Optimizer:
    if opt == "adam":  # torch defaults: betas (0.9, 0.999), eps 1e-8
        return torch.optim.Adam(groups)
    return torch.optim.RMSprop(groups, alpha=0.9, eps=1e-7)  # the original's "Keras defaults"


def make_optimizers(model: nn.Module, recipe: LeafRecipe) -> list[torch.optim.Optimizer]:
    """Standard: one optimizer, groups (weights, activation parameters[, p2/p4]); DSPT: [activation optimizer,
    weight optimizer]. P24Sl only acts on LEAF (the original silently ignores it elsewhere)."""
    lr = BASE_LR[recipe.opt]
    aaf, p24, weights = split_parameters(model)
    if not recipe.p24sl:
        aaf, p24 = aaf + p24, []
    aaf_groups = [g for g in ({"params": aaf, "lr": lr * recipe.aaf_lr_scale},
                              {"params": p24, "lr": lr / P24_DIVISOR[recipe.opt]}) if g["params"]]
    weight_group = {"params": weights, "lr": lr}
    if recipe.dspt:
        return [_optimizer(recipe.opt, aaf_groups), _optimizer(recipe.opt, [weight_group])] if aaf_groups else \
            [_optimizer(recipe.opt, [weight_group])]
    return [_optimizer(recipe.opt, [weight_group, *aaf_groups])]


def shift_flip(x: torch.Tensor, generator: torch.Generator, fraction: float = 0.1) -> torch.Tensor:
    """RandomHorizontalFlip(0.5), then RandomAffine(translate=(f, f)): integer shifts round(U(-f*W, f*W)) per
    axis and sample, zero fill."""
    n, _, h, w = x.shape
    dev = x.device
    flip = torch.rand(n, generator=generator, device=dev) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    dx = torch.round((torch.rand(n, generator=generator, device=dev) * 2 - 1) * fraction * w).long()
    dy = torch.round((torch.rand(n, generator=generator, device=dev) * 2 - 1) * fraction * h).long()
    pad = int(math.ceil(fraction * max(h, w)))
    padded = nn.functional.pad(x, (pad, pad, pad, pad))
    rows = (pad - dy[:, None] + torch.arange(h, device=dev))[:, :, None]
    cols = (pad - dx[:, None] + torch.arange(w, device=dev))[:, None, :]
    out = padded.permute(0, 2, 3, 1)[torch.arange(n, device=dev)[:, None, None], rows, cols]
    return out.permute(0, 3, 1, 2).contiguous()


def _set_trainable(params, flag: bool) -> None:
    for p in params:
        p.requires_grad_(flag)


def _update(model: nn.Module, x, y, optimizers, loss_fn) -> float:
    """Forward, backward and a step of `optimizers` (skipped on a non-finite loss, which the caller records)."""
    loss = loss_fn(model(x), y)
    for opt in optimizers:
        opt.zero_grad(set_to_none=True)
    if torch.isfinite(loss):
        loss.backward()
        for opt in optimizers:
            opt.step()
    return loss.item()


def train_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor, optimizers: list[torch.optim.Optimizer],
               dspt: bool, loss_fn=nn.functional.cross_entropy) -> float:
    """One minibatch; returns the loss of the last pass. DSPT: stage 1 updates only the activation parameters,
    stage 2 (a new forward with the updated activations) only the weights."""
    if not dspt or len(optimizers) == 1:
        return _update(model, x, y, optimizers, loss_fn)
    activation_opt, weight_opt = optimizers
    aaf = [p for g in activation_opt.param_groups for p in g["params"]]
    weights = [p for g in weight_opt.param_groups for p in g["params"]]
    _set_trainable(weights, False)
    _update(model, x, y, [activation_opt], loss_fn)
    _set_trainable(weights, True)
    _set_trainable(aaf, False)
    loss = _update(model, x, y, [weight_opt], loss_fn)
    _set_trainable(aaf, True)
    return loss


@torch.no_grad()
def test_accuracy(model: nn.Module, data: TensorData, batch: int) -> float:
    model.eval()
    correct = sum(int((model(x).argmax(1) == y).sum()) for x, y in batches(data, batch))
    model.train()
    return correct / len(data)


def train(model: nn.Module, train_data: TensorData, test_data: TensorData, recipe: LeafRecipe, *,
          checkpoint: str | Path | None = None, progress: bool = True, desc: str = "leaf") -> list[dict]:
    """Train with the recipe's procedure; one row per epoch (COLUMNS). The caller seeds torch and builds the
    model (same seed: same synaptic weights for base, AHAF and LEAF)."""
    device = torch.device(recipe.device)
    model.to(device)
    train_data, test_data = train_data.to(device), test_data.to(device)
    optimizers = make_optimizers(model, recipe)
    augment = torch.Generator(device=device).manual_seed(recipe.seed)
    shuffle = torch.Generator().manual_seed(recipe.seed)
    generators = {"augment": augment, "shuffle": shuffle}
    rows, diverged = [], False
    checkpoint = Path(checkpoint) if checkpoint is not None else None
    state = checkpoints.resume_state(checkpoint, recipe)
    if state is not None:
        model.load_state_dict(state["model"])
        for opt, saved in zip(optimizers, state["optimizers"]):
            opt.load_state_dict(saved)
        checkpoints.set_rng_state(state["rng"], generators)  # dropout masks too (torch's global stream)
        rows, diverged = state["rows"], state["diverged"]
    bar = tqdm(total=recipe.epochs, initial=len(rows), desc=desc, file=sys.stderr, disable=not progress)
    model.train()
    for epoch in range(len(rows), recipe.epochs):
        if diverged:
            rows.append(checkpoints.diverged_row(COLUMNS, epoch, lr=""))
            continue
        start = time.perf_counter()
        losses = []
        for x, y in batches(train_data, recipe.batch, shuffle=recipe.shuffle, generator=shuffle):
            if recipe.augment:
                x = shift_flip(x, augment)
            losses.append(train_step(model, x, y, optimizers, recipe.dspt))
            if not math.isfinite(losses[-1]):
                diverged = True
                break
        duration = time.perf_counter() - start
        if diverged:
            rows.append(checkpoints.diverged_row(COLUMNS, epoch, lr=""))
            tqdm.write(f"{desc}: non-finite loss in epoch {epoch}; run marked diverged", file=sys.stderr)
        else:
            t = torch.tensor(losses, dtype=torch.float64)
            rows.append({"epoch": epoch, "train_loss_mean": float(t.mean()),
                         "train_loss_var": float(t.var()) if len(t) > 1 else 0.0,
                         "test_acc": test_accuracy(model, test_data, recipe.test_batch),
                         "lr": " ".join(str(g["lr"]) for opt in optimizers for g in opt.param_groups),
                         "duration": duration, "diverged": False})
            bar.set_postfix(loss=f"{rows[-1]['train_loss_mean']:.4g}", acc=f"{rows[-1]['test_acc']:.4f}",
                            refresh=False)
        bar.update()
        if checkpoint is not None:
            state = {"recipe": checkpoints.recipe_key(recipe),
                     "model": model.state_dict(), "optimizers": [o.state_dict() for o in optimizers],
                     "rng": checkpoints.rng_state(generators), "rows": rows, "diverged": diverged}
            checkpoints.save(checkpoint, state)
    bar.close()
    return rows
