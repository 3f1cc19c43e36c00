"""Fully connected ReLU networks."""

from __future__ import annotations

from typing import Callable

from torch import nn

ActivationFactory = Callable[[], nn.Module]


def mlp(in_features: int, hidden: list[int], out_features: int, activation: ActivationFactory = nn.ReLU, *,
        batch_norm: bool = False, dropout: float = 0.0, first_activation: bool = True) -> nn.Sequential:
    """Flatten, then per hidden width Linear (+ BatchNorm1d) + activation (+ Dropout), then a Linear head.

    ``first_activation=False`` leaves out the activation after the first Linear: the relu_prime
    ``no_first_relu`` volume net (its first two Linears compose linearly, as in the original code).
    """
    layers: list[nn.Module] = [nn.Flatten()]
    width = in_features
    for i, h in enumerate(hidden):
        layers.append(nn.Linear(width, h))
        if batch_norm:
            layers.append(nn.BatchNorm1d(h))
        if first_activation or i > 0:
            layers.append(activation())
            if dropout:
                layers.append(nn.Dropout(dropout))
        width = h
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)
