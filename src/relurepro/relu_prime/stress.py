"""The CPU stress tier of the relu_prime training figures (§5.3.5, switch S24 ``preact_grid_k``).

Faithful float32 training at CPU scale almost never meets an exact-zero pre-activation, so ReLU'(0) has no
effect to show. The stress tier emulates a coarse precision *only where the paper's mechanism acts*: each
pre-activation is rounded in the forward pass to the grid 2^-k (value -> round(value * 2^k) / 2^k) just before
its ReLU, so the ReLU sees exact zeros often. The backward pass is straight-through (identity), so the only
change to the gradients is the one ReLU'(0) makes at those zeros. Always a labelled deviation.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn


class _GridRoundFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        # x * 2^k and / 2^k are exact in binary floating point (barring overflow), so the only rounding is
        # torch.round (half to even), and values below 2^-(k+1) in magnitude become exact (signed) zeros.
        return torch.round(x * scale) / scale

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, None  # straight-through: rounding is treated as the identity


def grid_round(x: torch.Tensor, k: int) -> torch.Tensor:
    """Round `x` to the grid of step 2^-k in the forward pass, identity gradient in the backward pass."""
    return _GridRoundFn.apply(x, float(2.0 ** int(k)))


class GridRound(nn.Module):
    """Module form of :func:`grid_round`, placed right before an activation."""

    def __init__(self, k: int):
        super().__init__()
        self.k = int(k)

    def forward(self, x):
        return grid_round(x, self.k)

    def extra_repr(self):
        return f"k={self.k}"


def stressed(activation: Callable[[], nn.Module], k: int | None) -> Callable[[], nn.Module]:
    """An activation factory whose modules round their input to the 2^-k grid first; k=None: unchanged.

    The activation stays a module of its own (inside a Sequential), so exact-zero counters hooked on the
    activation see the rounded values.
    """
    if k is None:
        return activation
    return lambda: nn.Sequential(GridRound(k), activation())


def tier_label(k: int | None) -> str:
    """How figures and CSVs name the tier: 'faithful' or 'stress k=<k>'."""
    return "faithful" if k is None else f"stress k={int(k)}"
