"""constnet training (§2.10, §5.2): SGD with momentum, the camera-ready step schedule, one symmetry breaker per
run, and the diagnostics of every epoch: accuracy, symmetry deviation (exactly 0 while symmetric), distinct final
channels on a fixed probe batch, and the weight correlations of every layer.

Resumable: the state (model, optimizer, every generator, rows) is checkpointed after each epoch. An arm expected
to stay symmetric (constant init, `det`, no dropout) whose weights stop being bitwise symmetric keeps training:
the break is a finding (the CPU/GPU path itself is not channel-symmetric), recorded in its rows (symmetry deviation
above 0, more than one distinct channel), warned about in the log, and failed by claim cn.C2_symmetric.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from relurepro import checkpoints
from relurepro.constnet.correlations import (diversity, distinct_channels, neg_log_abs, symmetry_deviation,
                                             weight_correlations)
from relurepro.constnet.symmetry import perturb_gradients, reordered_sum
from relurepro.data import TensorData, batches


@dataclass(frozen=True)
class ConstRecipe:
    epochs: int
    batch: int = 128
    lr: float = 0.03
    momentum: float = 0.9
    weight_decay: float = 5e-4
    schedule: str = "camera_ready"  # 'camera_ready': x0.2 at E-140, E-80, E-40; 'proportional': at E(1-140/300)...
    breaker: str = "det"
    chunks: int = 8  # 'reorder'
    probe: int = 128
    expect_symmetric: bool = False  # a constant-init arm with nothing to break symmetry: a break is warned about
    seed: int = 0
    device: str = "cpu"


def lr_at(epoch: int, recipe: ConstRecipe) -> float:
    """lr of the 1-based `epoch`: x0.2 from each threshold on. The original's thresholds are E-140, E-80, E-40
    (E = 300: 160, 220, 260); `proportional` keeps their share of E for short runs (E = 40: 21, 29, 35)."""
    e = recipe.epochs
    offsets = (140, 80, 40)
    marks = [e - (round(o * e / 300) if recipe.schedule == "proportional" else o) for o in offsets]
    return recipe.lr * 0.2 ** sum(epoch >= m for m in marks)


def measured_layers(model: nn.Module) -> list[tuple[str, torch.Tensor]]:
    """Every conv and linear weight, in module order (the correlation and symmetry diagnostics)."""
    return [(name, m.weight) for name, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def correlation_rows(model: nn.Module, epoch: int, rng: np.random.Generator) -> tuple[list[dict], float]:
    rows, backward = [], []
    for name, w in measured_layers(model):
        cs = weight_correlations(w.detach().cpu(), rng=rng)
        backward.append(cs["backward"])
        rows += [{"epoch": epoch, "layer": name, "kind_corr": k, "c": c, "neg_log_abs_c": neg_log_abs(c)}
                 for k, c in cs.items()]
    return rows, diversity(backward)


def _step(model, x, y, optimizer, recipe: ConstRecipe, noise: torch.Generator) -> tuple[float, int]:
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer.zero_grad(set_to_none=True)
    if recipe.breaker == "reorder":
        grads, loss_sum, correct = [], 0.0, 0
        for xc, yc in zip(x.chunk(recipe.chunks), y.chunk(recipe.chunks)):
            out = model(xc)
            loss = nn.functional.cross_entropy(out, yc, reduction="sum") / len(y)
            g = torch.autograd.grad(loss, params, allow_unused=True)
            grads.append([torch.zeros_like(p) if gi is None else gi for p, gi in zip(params, g)])
            loss_sum += loss.item()
            correct += int((out.argmax(1) == yc).sum())
        for i, p in enumerate(params):
            p.grad = reordered_sum(torch.stack([g[i] for g in grads]), noise)
        optimizer.step()
        return loss_sum, correct
    out = model(x)
    loss = nn.functional.cross_entropy(out, y)
    loss.backward()
    if recipe.breaker == "ulp":
        perturb_gradients(params, noise)
    optimizer.step()
    return loss.item(), int((out.argmax(1) == y).sum())


@torch.no_grad()
def evaluate(model: nn.Module, data: TensorData, batch: int = 500) -> tuple[float, float]:
    model.eval()
    loss, correct = 0.0, 0
    for x, y in batches(data, batch):
        out = model(x)
        loss += float(nn.functional.cross_entropy(out, y, reduction="sum"))
        correct += int((out.argmax(1) == y).sum())
    model.train()
    return loss / len(data), correct / len(data)


def train(model: nn.Module, train_data: TensorData, test_data: TensorData, recipe: ConstRecipe, *, transform=None,
          checkpoint: str | Path | None = None, progress: bool = True, desc: str = "constnet"):
    """Returns (one metrics row per epoch, correlation rows). Epoch 0 is the state at initialisation."""
    device = torch.device(recipe.device)
    model.to(device)
    train_data, test_data = train_data.to(device), test_data.to(device)
    probe = test_data.x[:recipe.probe]
    optimizer = torch.optim.SGD(model.parameters(), lr=recipe.lr, momentum=recipe.momentum,
                                weight_decay=recipe.weight_decay)
    gens = {"shuffle": torch.Generator().manual_seed(recipe.seed),
            "augment": torch.Generator(device=device).manual_seed(recipe.seed + 1),
            "noise": torch.Generator(device=device).manual_seed(recipe.seed + 2)}
    corr_rng = np.random.default_rng(recipe.seed)  # row subsampling of big layers (the original: unseeded)
    rows, corr = [], []
    checkpoint = Path(checkpoint) if checkpoint is not None else None
    state = checkpoints.resume_state(checkpoint, recipe)
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        checkpoints.set_rng_state(state["rng"], {**gens, "corr": corr_rng})
        rows, corr = state["rows"], state["corr"]

    def record(epoch, train_loss, train_acc, seconds):
        test_loss, test_acc = evaluate(model, test_data)
        model.eval()
        with torch.no_grad():
            distinct = distinct_channels(model.features(probe).cpu()) if hasattr(model, "features") else -1
        model.train()
        deviation = symmetry_deviation(model)
        c_rows, div = correlation_rows(model, epoch, corr_rng)
        corr.extend(c_rows)
        rows.append({"epoch": epoch, "lr": lr_at(max(epoch, 1), recipe), "train_loss": train_loss,
                     "train_acc": train_acc, "test_loss": test_loss, "test_acc": test_acc,
                     "symmetry_deviation": deviation, "distinct_channels": distinct, "diversity": div,
                     "seconds": seconds})
        if recipe.expect_symmetric and deviation != 0 and (len(rows) == 1 or rows[-2]["symmetry_deviation"] == 0):
            # warned once, at the first asymmetric epoch; the rows keep the record of every epoch
            tqdm.write(f"{desc}: WARNING: the deterministic arm left the symmetric manifold at epoch {epoch} "
                       f"(relative channel deviation {deviation:.3g}): this CPU/GPU path is not channel-symmetric; "
                       "training goes on and claim cn.C2_symmetric fails", file=sys.stderr)

    if not rows:
        record(0, math.nan, math.nan, 0.0)
    bar = tqdm(total=recipe.epochs, initial=len(rows) - 1, desc=desc, file=sys.stderr, disable=not progress)
    model.train()
    for epoch in range(len(rows), recipe.epochs + 1):
        for group in optimizer.param_groups:
            group["lr"] = lr_at(epoch, recipe)
        start, loss_sum, correct, steps = time.perf_counter(), 0.0, 0, 0
        for x, y in batches(train_data, recipe.batch, shuffle=True, generator=gens["shuffle"]):
            if transform is not None:
                x = transform(x, gens["augment"])
            loss, c = _step(model, x, y, optimizer, recipe, gens["noise"])
            loss_sum, correct, steps = loss_sum + loss, correct + c, steps + 1
        record(epoch, loss_sum / steps, correct / len(train_data), time.perf_counter() - start)
        last = rows[-1]
        bar.set_postfix(acc=f"{last['test_acc']:.3f}", dev=f"{last['symmetry_deviation']:.2g}", refresh=False)
        bar.update()
        if checkpoint is not None:
            state = {"recipe": checkpoints.recipe_key(recipe),
                     "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "rng": checkpoints.rng_state({**gens, "corr": corr_rng}), "rows": rows, "corr": corr}
            checkpoints.save(checkpoint, state)
    bar.close()
    return rows, corr
