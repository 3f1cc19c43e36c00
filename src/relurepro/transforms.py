"""Per-sample augmentations on tensors, drawn from an explicit generator, and the datasets' normalisation
statistics. Every paper uses them; each original normalises CIFAR-10 with one of the two conventions below."""

from __future__ import annotations

import torch
from torch.nn import functional as F

# (mean, std) per channel of CIFAR-10 on [0, 1] pixels: the widespread rounded values (relu_prime's and
# resnet_ode's originals) and the Wide-ResNet convention of 0..255 statistics (constnet's original).
CIFAR10_STATS = ((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010))
CIFAR10_STATS_WRN = (tuple(v / 255 for v in (125.3, 123.0, 113.9)), tuple(v / 255 for v in (63.0, 62.1, 66.7)))


def random_crop_flip(x: torch.Tensor, generator: torch.Generator, padding: int = 4,
                     pad_mode: str = "constant") -> torch.Tensor:
    """RandomCrop(H, padding) with zero fill (or `pad_mode="reflect"`) + RandomHorizontalFlip, per sample, from
    `generator` only."""
    n, _, h, w = x.shape
    dev = x.device
    padded = F.pad(x, (padding, padding, padding, padding), mode=pad_mode)
    oy = torch.randint(0, 2 * padding + 1, (n,), generator=generator, device=dev)
    ox = torch.randint(0, 2 * padding + 1, (n,), generator=generator, device=dev)
    rows = (oy[:, None] + torch.arange(h, device=dev))[:, :, None]
    cols = (ox[:, None] + torch.arange(w, device=dev))[:, None, :]
    out = padded.permute(0, 2, 3, 1)[torch.arange(n, device=dev)[:, None, None], rows, cols].permute(0, 3, 1, 2)
    flip = torch.rand(n, generator=generator, device=dev) < 0.5
    out = torch.where(flip[:, None, None, None], out.flip(3), out)
    # contiguous(): the gather leaves a channels-last tensor, and torch 2.14's CPU conv backward corrupts the
    # heap on channels-last inputs to the ResNet (measured: "free(): invalid size" aborts).
    return out.contiguous()
