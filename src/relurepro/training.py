"""One train/eval loop for every paper: tensor batches, checkpoints with exact resume, divergence as data.

Contract of :func:`train`:
- The caller sets the numerics mode (:func:`relurepro.numerics.setup`), seeds (``seed_everything``) and builds
  the model; the loop moves model and data to ``cfg.device`` and casts the images to the model's dtype.
- Shuffling draws from a generator seeded with ``cfg.seed``; augmentation (``transform``) from a second one on
  the data's device; dropout from torch's global RNG, which continues from the caller's state.
- After every epoch the whole state (model, optimizer, scheduler, rows, every RNG state) is written atomically
  to ``checkpoint``; a later call with the same checkpoint resumes from it, and on CPU ends bitwise identical
  to an uninterrupted run.
- A non-finite batch loss marks the run diverged: training stops and the remaining epochs get rows with
  ``diverged=True`` and NaN metrics, so the CSV always has one row per epoch.
"""

from __future__ import annotations

import csv
import io
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn
from tqdm import tqdm

from relurepro import checkpoints
from relurepro.activations import ReLUAlpha
from relurepro.data import TensorData, batches, n_batches
from relurepro.numerics import ExactZeroCounter, resolve_device

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = (None, "cosine", "step")
# Modules whose inputs are counted for exact zeros (the kink of ReLU at 0).
RELU_TYPES: tuple[type[nn.Module], ...] = (nn.ReLU, ReLUAlpha)
COLUMNS = ("epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr",
           "exact_zeros", "relu_inputs", "diverged", "seconds")

@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run besides the model and the data."""

    epochs: int
    batch_size: int = 128
    optimizer: str = "sgd"  # 'sgd' | 'adam'
    lr: float = 0.1
    momentum: float = 0.0  # sgd only
    nesterov: bool = False  # sgd only
    weight_decay: float = 0.0
    schedule: str | None = None  # None | 'cosine' | 'step' (both stepped once per epoch)
    t_max: int | None = None  # cosine period in epochs; None means `epochs`
    eta_min: float = 0.0
    milestones: tuple[int, ...] = ()  # 'step': lr x gamma after each of these epochs
    gamma: float = 0.1
    seed: int = 0
    test_batch_size: int = 1000
    drop_last: bool = False
    shuffle: bool = True  # False: every epoch walks the data in order (DataLoader default, relu_prime zero counts)
    device: str = "cpu"  # 'cpu' | 'cuda' | 'auto'

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose one of {OPTIMIZERS}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; choose one of {SCHEDULES}")
        if self.epochs < 1 or self.batch_size < 1 or self.test_batch_size < 1:
            raise ValueError("epochs, batch_size and test_batch_size must be positive")

    def resolved(self) -> dict:
        """The config as a dict with defaults that depend on other fields filled in."""
        d = asdict(self)
        d["t_max"] = (self.t_max or self.epochs) if self.schedule == "cosine" else None
        d["milestones"] = list(self.milestones)  # a checkpoint's saved config compares equal after a reload
        return d


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov,
                               weight_decay=cfg.weight_decay)
    return torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)


def make_scheduler(optimizer: torch.optim.Optimizer, cfg: TrainConfig):
    if cfg.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.resolved()["t_max"],
                                                          eta_min=cfg.eta_min)
    if cfg.schedule == "step":
        return torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=list(cfg.milestones), gamma=cfg.gamma)
    return None


def _correct(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor | None:
    """Number of correct argmax predictions, or None when the task is not classification."""
    if y.is_floating_point() or out.ndim != 2:
        return None
    return (out.argmax(dim=1) == y).sum()


@torch.no_grad()
def evaluate(model: nn.Module, data: TensorData, batch_size: int, loss_fn) -> tuple[float, float]:
    """Mean loss and accuracy over `data` in eval mode (loss_fn must average over the batch)."""
    was_training = model.training
    model.eval()
    loss_sum, correct = 0.0, 0
    for x, y in batches(data, batch_size):
        out = model(x)
        loss_sum += loss_fn(out, y).item() * len(y)
        c = _correct(out, y)
        correct = None if c is None or correct is None else correct + int(c)
    model.train(was_training)
    n = len(data)
    return loss_sum / n, (correct / n if correct is not None else math.nan)


def write_metrics_csv(rows: list[dict], path: str | Path) -> None:
    """One row per epoch with COLUMNS (then any extra metrics); NaN is written as `nan`, which pandas reads back
    as NaN."""
    extra = [k for row in rows for k in row if k not in COLUMNS]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=[*COLUMNS, *dict.fromkeys(extra)], lineterminator="\n", restval="nan")
    writer.writeheader()
    writer.writerows(rows)
    checkpoints.atomic_write(path, lambda f: f.write(buf.getvalue().encode()))


def train(model: nn.Module, train_data: TensorData, test_data: TensorData | None, cfg: TrainConfig, *,
          checkpoint: str | Path | None = None, metrics_csv: str | Path | None = None, progress: bool = True,
          loss_fn: Callable | None = None, transform: Callable | None = None,
          on_epoch: Callable[[dict], None] | None = None,
          extra_metrics: Callable[[nn.Module, TensorData | None], dict] | None = None,
          desc: str = "train") -> list[dict]:
    """Train `model` for `cfg.epochs` epochs and return one metrics row (dict with COLUMNS) per epoch.

    transform(x, generator) -> x augments each training batch; it must draw randomness only from
    `generator` (on the data's device), so that resuming replays it exactly.
    on_epoch(row) is called after each epoch's checkpoint is written.
    extra_metrics(model, test_data) -> {column: value} adds columns to every finite epoch's row (checkpointed with
    it, so a resumed run keeps them); it must leave the model as it found it.
    """
    device = resolve_device(cfg.device)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    model.to(device)
    dtype = next(model.parameters()).dtype
    train_data = train_data.to(device, dtype)
    test_data = test_data.to(device, dtype) if test_data is not None else None

    optimizer = make_optimizer(model, cfg)
    scheduler = make_scheduler(optimizer, cfg)
    generators = {
        "shuffle": torch.Generator().manual_seed(cfg.seed),  # randperm in data.batches draws on the CPU
        "augment": torch.Generator(device=device).manual_seed(cfg.seed + 1),
    }
    relus = {name: m for name, m in model.named_modules() if isinstance(m, RELU_TYPES)}

    rows: list[dict] = []
    diverged = False
    checkpoint = Path(checkpoint) if checkpoint is not None else None
    state = checkpoints.resume_state(checkpoint, cfg.resolved())
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        checkpoints.set_rng_state(state["rng"], generators)
        rows, diverged = state["rows"], state["diverged"]
        if len(rows) > cfg.epochs:
            raise ValueError(f"checkpoint {checkpoint} is at epoch {len(rows)}, past the {cfg.epochs} asked for "
                             "(the saved model is from a later epoch)")
        # Said in the job's log: a killed or requeued job shows where it picked up.
        tqdm.write(f"{desc}: resumed from {checkpoint} after epoch {len(rows)}", file=sys.stderr)
        if diverged:  # a diverged run asked for more epochs gets only more NaN rows
            rows.extend(checkpoints.diverged_row(COLUMNS, e) for e in range(len(rows) + 1, cfg.epochs + 1))

    def save():
        if checkpoint is None:
            return
        state = {"recipe": checkpoints.recipe_key(cfg.resolved()), "rows": rows, "diverged": diverged,
                 "model": model.state_dict(),
                 "optimizer": optimizer.state_dict(),
                 "scheduler": scheduler.state_dict() if scheduler is not None else None,
                 "rng": checkpoints.rng_state(generators)}
        checkpoints.save(checkpoint, state)

    nb = n_batches(len(train_data), cfg.batch_size, cfg.drop_last)
    bar = tqdm(total=cfg.epochs * nb, initial=len(rows) * nb, desc=desc, file=sys.stderr, mininterval=5.0,
               disable=not progress)
    model.train()
    for epoch in range(len(rows) + 1, cfg.epochs + 1):
        start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        loss_sum, n_steps, seen = 0.0, 0, 0
        correct = torch.zeros((), dtype=torch.long, device=device)
        with ExactZeroCounter(relus) as zeros:
            for x, y in batches(train_data, cfg.batch_size, shuffle=cfg.shuffle, generator=generators["shuffle"],
                                drop_last=cfg.drop_last):
                if transform is not None:
                    x = transform(x, generators["augment"])
                out = model(x)
                loss = loss_fn(out, y)
                loss_value = loss.item()
                if not math.isfinite(loss_value):
                    diverged = True
                    break  # before the step: the model keeps its last finite parameters
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                loss_sum += loss_value
                n_steps += 1
                c = _correct(out, y)
                correct = None if c is None or correct is None else correct + c
                seen += len(y)
                bar.update()
        if diverged:
            rows.append(checkpoints.diverged_row(COLUMNS, epoch, lr=lr, seconds=time.perf_counter() - start))
            rows.extend(checkpoints.diverged_row(COLUMNS, e) for e in range(epoch + 1, cfg.epochs + 1))
            tqdm.write(f"{desc}: non-finite loss in epoch {epoch}; run marked diverged", file=sys.stderr)
        else:
            if scheduler is not None:
                scheduler.step()
            test_loss, test_acc = (evaluate(model, test_data, cfg.test_batch_size, loss_fn)
                                   if test_data is not None else (math.nan, math.nan))
            rows.append({
                "epoch": epoch,
                "train_loss": loss_sum / n_steps,
                "train_accuracy": int(correct) / seen if correct is not None else math.nan,
                "test_loss": test_loss,
                "test_accuracy": test_acc,
                "lr": lr,
                "exact_zeros": zeros.total_zeros,
                "relu_inputs": zeros.total_entries,
                "diverged": False,
                "seconds": time.perf_counter() - start,
            })
            if extra_metrics is not None:
                rows[-1].update(extra_metrics(model, test_data))
            bar.set_postfix(epoch=epoch, loss=f"{rows[-1]['train_loss']:.4g}", test_acc=f"{test_acc:.4f}",
                            refresh=False)
        save()
        if metrics_csv is not None:
            write_metrics_csv(rows, metrics_csv)
        if on_epoch is not None:
            on_epoch(rows[epoch - 1])
        if diverged:
            break
    bar.close()
    if metrics_csv is not None:
        write_metrics_csv(rows, metrics_csv)
    return rows
