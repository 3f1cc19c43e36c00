"""constnet data: CIFAR-10 at paper scale (reflect-pad-4 crop + flip, the original's normalisation), scikit-learn's
digits at small scales (§5.2: torch permutation seed 123, 1,437 train / 360 test, (x/16 - 0.3)/0.37)."""

from __future__ import annotations

from pathlib import Path

import torch

from relurepro.data import TensorData, load_dataset, normalize
from relurepro.transforms import CIFAR10_STATS_WRN, random_crop_flip

CIFAR_MEAN, CIFAR_STD = CIFAR10_STATS_WRN  # the original's Wide-ResNet convention
DIGITS_TRAIN = 1437


def digits() -> tuple[TensorData, TensorData]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = (torch.from_numpy(bunch.images).float()[:, None] / 16 - 0.3) / 0.37
    y = torch.from_numpy(bunch.target).long()
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(123))
    x, y = x[order], y[order]
    return (TensorData(x[:DIGITS_TRAIN], y[:DIGITS_TRAIN], "digits", "train"),
            TensorData(x[DIGITS_TRAIN:], y[DIGITS_TRAIN:], "digits", "test"))


def cifar_transform(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return normalize(random_crop_flip(x, generator, pad_mode="reflect"), CIFAR_MEAN, CIFAR_STD)


def load(name: str, root: str | Path = "data", train_samples: int | None = None):
    """(train, test, per-batch train transform or None)."""
    if name == "digits":
        return (*digits(), None)
    if name not in ("cifar10", "cifar100"):
        raise ValueError(f"constnet trains on digits, cifar10 or cifar100, not {name!r}")
    train, test = load_dataset(name, "train", root), load_dataset(name, "test", root)
    if train_samples is not None:
        train = train.subset(train_samples)
    return train, TensorData(normalize(test.x, CIFAR_MEAN, CIFAR_STD), test.y, name, "test"), cifar_transform
