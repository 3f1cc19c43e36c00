"""leaf datasets as [0, 1] tensors (no normalisation, as the original): Fashion-MNIST and CIFAR-10 at paper scale;
at small scales scikit-learn's digits upsampled to 28x28 (§5.2) or the embedded MNIST-5k sets."""

from __future__ import annotations

from pathlib import Path

import torch
from torch.nn import functional as F

from relurepro.data import TensorData, load_dataset, load_embedded

DIGITS28_TRAIN = 1437
STAND_INS = {"digits28": "digits 8x8 upsampled to 28x28 (stand-in for F-MNIST)"}


def digits28() -> tuple[TensorData, TensorData]:
    """Spec 5.2: pixels / 16, bilinear upsampling to 28x28, a fixed permutation (torch generator seed 0), the first
    1,437 images for training and the other 360 for testing."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = torch.from_numpy(bunch.images).float()[:, None] / 16.0
    x = F.interpolate(x, size=(28, 28), mode="bilinear", align_corners=False)
    y = torch.from_numpy(bunch.target).long()
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    x, y = x[order], y[order]
    return (TensorData(x[:DIGITS28_TRAIN], y[:DIGITS28_TRAIN], "digits28", "train"),
            TensorData(x[DIGITS28_TRAIN:], y[DIGITS28_TRAIN:], "digits28", "test"))


def load(name: str, root: str | Path = "data", train_samples: int | None = None,
         test_samples: int | None = None) -> tuple[TensorData, TensorData]:
    """(train, test) of a leaf dataset, optionally cut to the first samples (of the sets' fixed orders)."""
    if name == "digits28":
        train, test = digits28()
    elif name in ("mnist5k", "mnist5k_rgb32"):
        train, test = load_embedded(name, "train"), load_embedded(name, "test")
    else:
        train, test = load_dataset(name, "train", root), load_dataset(name, "test", root)
    if train_samples is not None:
        train = train.subset(train_samples)
    if test_samples is not None:
        test = test.subset(test_samples)
    return train, test
