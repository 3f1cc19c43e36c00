"""The ImageNet training loop two papers share (paper scale only): relu_prime's ResNet50 with ReLU'(0) = alpha
(relu_prime §3.29, protocol P4) and resnet_ode's ResNet runs and fine-tuning (relurepro.resnet_ode.training).

relu_prime P4 (the original ``train_imagenet.py``, from the PyTorch ImageNet example): SGD lr 0.1, momentum 0.9,
weight decay 1e-4, lr x 0.1 every 30 epochs, 90 epochs, batch 256; train RandomResizedCrop(224) + horizontal
flip, validation Resize(256) + CenterCrop(224); ImageNet mean/std normalisation; 1000 classes (the original kept
10, relu_prime S16).

ImageNet (~1.3M JPEGs, ~140 GB) does not fit in memory and every image is decoded and randomly cropped anew each
epoch, so unlike the rest of the pipeline (tensor-resident batches, relurepro.data) this loop reads through a
torchvision ImageFolder and a multi-worker DataLoader.

Resumable: after every epoch the state is checkpointed atomically; each epoch's shuffling and augmentation draw
from a generator seeded with (seed, epoch), so a resumed run sees the same batches as an uninterrupted one.
"""

from __future__ import annotations

import itertools
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from relurepro import checkpoints
from relurepro.archives import check_imagenet
from relurepro.numerics import ExactZeroCounter

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)

# Config fields a resumed run may change (the rest must match its checkpoint): more epochs, another device or
# number of loader workers.
RESUMABLE_CHANGES = ("epochs", "device", "workers")

# Per-run metrics CSV (rule rp_imagenet_train): one row per epoch.
COLUMNS = ("epoch", "lr", "train_loss", "train_top1", "val_loss", "val_top1", "val_top5", "exact_zeros",
           "relu_inputs", "diverged", "seconds")


@dataclass(frozen=True)
class ImageNetConfig:
    """relu_prime P4 by default; crop/resize/workers are knobs for tests and small machines."""

    epochs: int = 90
    batch_size: int = 256
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 1e-4
    lr_step: int = 30
    lr_gamma: float = 0.1
    crop: int = 224
    resize: int = 256
    workers: int = 8
    seed: int = 0
    device: str = "cpu"
    max_batches: int | None = None  # the rehearsal scale's cap on batches per pass (train and validation)


def require_imagenet(folder: str | Path | None, n_classes: int = 1000) -> dict:
    """check_imagenet, with a clear message when the folder was never configured."""
    if folder is None or str(folder).strip() == "":
        raise FileNotFoundError(
            "imagenet_dir is not set: the ImageNet ResNet50 runs (relu_prime/imagenet_resnet50, paper scale) need "
            "an ImageNet-1k folder with train/ and val/ each holding the 1000 class folders; set it with "
            "--config imagenet_dir=/path/to/imagenet or in config/config.yaml")
    return check_imagenet(folder, n_classes)


def transforms(crop: int = 224, resize: int = 256):
    """(train, val) torchvision transforms of relu_prime P4."""
    from torchvision import transforms as T

    norm = T.Normalize(MEAN, STD)
    train = T.Compose([T.RandomResizedCrop(crop), T.RandomHorizontalFlip(), T.ToTensor(), norm])
    val = T.Compose([T.Resize(resize), T.CenterCrop(crop), T.ToTensor(), norm])
    return train, val


def datasets(folder: str | Path, cfg: ImageNetConfig):
    from torchvision.datasets import ImageFolder

    train_tf, val_tf = transforms(cfg.crop, cfg.resize)
    return ImageFolder(Path(folder) / "train", train_tf), ImageFolder(Path(folder) / "val", val_tf)


def loader(dataset, cfg: ImageNetConfig, *, shuffle: bool, generator=None):
    batches = torch.utils.data.DataLoader(dataset, batch_size=cfg.batch_size, shuffle=shuffle, generator=generator,
                                          num_workers=cfg.workers, pin_memory=cfg.device != "cpu",
                                          persistent_workers=False)
    return batches if cfg.max_batches is None else FirstBatches(batches, cfg.max_batches)


class FirstBatches:
    """The first `n` batches of a loader on every pass (the rehearsal's step count)."""

    def __init__(self, batches, n: int):
        self.batches, self.n = batches, n

    def __len__(self) -> int:
        return min(self.n, len(self.batches))

    def __iter__(self):
        return itertools.islice(self.batches, self.n)


def topk_correct(logits: torch.Tensor, y: torch.Tensor, ks=(1, 5)) -> list[int]:
    """How many samples have their label among the top-k logits, for each k (k capped at the class count)."""
    kmax = min(max(ks), logits.shape[1])
    top = logits.topk(kmax, dim=1).indices
    hit = top == y[:, None]
    return [int(hit[:, :min(k, kmax)].any(dim=1).sum()) for k in ks]


@torch.no_grad()
def evaluate(model: nn.Module, loader, device) -> tuple[float, float, float]:
    """Mean loss, top-1 and top-5 accuracy (fractions)."""
    model.eval()
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    loss, c1, c5, n = 0.0, 0, 0, 0
    for x, y in loader:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        out = model(x)
        loss += float(loss_fn(out, y))
        a, b = topk_correct(out, y)
        c1, c5, n = c1 + a, c5 + b, n + len(y)
    model.train()
    return loss / n, c1 / n, c5 / n


def train_imagenet(model: nn.Module, folder: str | Path, cfg: ImageNetConfig, *, checkpoint: str | Path | None = None,
                   relu_types: tuple[type[nn.Module], ...] = (), progress: bool = True,
                   on_epoch=None) -> list[dict]:
    """Train `model` with relu_prime P4 and return one row per epoch (COLUMNS). Exact zeros are counted in the inputs of
    modules of `relu_types`. A non-finite loss marks the run diverged (remaining epochs get NaN rows)."""
    device = torch.device(cfg.device)
    model.to(device)
    train_set, val_set = datasets(folder, cfg)
    val_loader = loader(val_set, cfg, shuffle=False)
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=cfg.lr_step, gamma=cfg.lr_gamma)
    loss_fn = nn.CrossEntropyLoss()
    rows, diverged = [], False
    checkpoint = Path(checkpoint) if checkpoint is not None else None
    state = checkpoints.resume_state(checkpoint, cfg, RESUMABLE_CHANGES)
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        rows, diverged = state["rows"], state["diverged"]

    relus = [m for m in model.modules() if isinstance(m, relu_types)]
    model.train()
    for epoch in range(len(rows) + 1, cfg.epochs + 1):
        if diverged:
            rows.append(checkpoints.diverged_row(COLUMNS, epoch))
            continue
        start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        # Shuffling and the workers' augmentation seeds come from this generator; with workers=0 the transforms
        # draw from torch's global RNG, seeded the same way.
        epoch_seed = cfg.seed * 100_003 + epoch
        gen = torch.Generator().manual_seed(epoch_seed)
        torch.manual_seed(epoch_seed)
        loss_sum, correct, seen, steps = 0.0, 0, 0, 0
        bar = tqdm(loader(train_set, cfg, shuffle=True, generator=gen), desc=f"epoch {epoch}", file=sys.stderr,
                   mininterval=30.0, disable=not progress)
        with ExactZeroCounter(dict(enumerate(relus))) as counter:
            for x, y in bar:
                x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
                out = model(x)
                loss = loss_fn(out, y)
                value = loss.item()
                if not math.isfinite(value):
                    diverged = True
                    break
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                loss_sum, steps, seen = loss_sum + value, steps + 1, seen + len(y)
                correct += topk_correct(out.detach(), y, ks=(1,))[0]
        if diverged:
            row = checkpoints.diverged_row(COLUMNS, epoch, lr=lr, seconds=time.perf_counter() - start)
        else:
            scheduler.step()
            val_loss, top1, top5 = evaluate(model, val_loader, device)
            row = {"epoch": epoch, "lr": lr, "train_loss": loss_sum / steps, "train_top1": correct / seen,
                   "val_loss": val_loss, "val_top1": top1, "val_top5": top5, "exact_zeros": counter.total_zeros,
                   "relu_inputs": counter.total_entries, "diverged": False, "seconds": time.perf_counter() - start}
        rows.append(row)
        if checkpoint is not None:
            state = {"recipe": checkpoints.recipe_key(cfg, RESUMABLE_CHANGES),
                     "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "scheduler": scheduler.state_dict(), "rows": rows, "diverged": diverged}
            checkpoints.save(checkpoint, state)
        if on_epoch is not None:
            on_epoch(row)
    return rows
