"""Many fully connected ReLU nets of one shape evaluated at once: weights stacked along a leading axis.

K nets [d, W, ..., W, 1] become one program of batched matrix multiplies, so one job trains all students of a
(d, experiment, m, width) cell. Each net's output depends only on its own slice of the weights, and the training
loss is the *sum* of the per-net losses, so gradients and Adam updates per slice equal those of K separate runs.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from relurepro.numerics import seed_everything

INPUT_SCALE = math.sqrt(12.0)  # standardising U[-0.5, 0.5]: mean 0, std 1/sqrt(12)


def linear_stack(d: int, width: int, depth: int) -> list[nn.Linear]:
    """The affine maps of a depth-`depth` net [d, width, ..., width, 1], PyTorch default initialisation."""
    sizes = [d] + [width] * (depth - 1) + [1]
    return [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]


class StackedMLP(nn.Module):
    """K ReLU nets with the same layer sizes; forward maps x (K, n, d) or shared x (n, d) to (K, n).

    `standardize` multiplies inputs by sqrt(12) first, as the original's students do (teachers see raw inputs).
    """

    def __init__(self, weights: list[torch.Tensor], biases: list[torch.Tensor], standardize: bool):
        super().__init__()
        self.weights = nn.ParameterList([nn.Parameter(w) for w in weights])  # (K, out, in)
        self.biases = nn.ParameterList([nn.Parameter(b) for b in biases])  # (K, 1, out)
        self.standardize = standardize

    @classmethod
    def from_nets(cls, nets: list[list[nn.Linear]], standardize: bool, dtype=torch.float64, device="cpu"):
        """Stack K nets given as lists of nn.Linear (cast to `dtype`, moved to `device`)."""
        to = {"dtype": dtype, "device": device}
        weights = [torch.stack([net[i].weight.detach() for net in nets]).to(**to) for i in range(len(nets[0]))]
        biases = [torch.stack([net[i].bias.detach() for net in nets]).unsqueeze(1).to(**to)
                  for i in range(len(nets[0]))]
        return cls(weights, biases, standardize)

    @property
    def size(self) -> int:
        return self.weights[0].shape[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x * INPUT_SCALE if self.standardize else x
        if h.dim() == 2:  # points shared by every net: one GEMM for the first layer
            w, b = self.weights[0], self.biases[0]
            k, out, d = w.shape
            h = (h @ w.reshape(k * out, d).T).view(len(x), k, out).transpose(0, 1) + b
        else:
            h = torch.baddbmm(self.biases[0], h, self.weights[0].transpose(1, 2))
        for w, b in zip(self.weights[1:], self.biases[1:]):
            h = torch.baddbmm(b, h.clamp(min=0), w.transpose(1, 2))
        return h.squeeze(-1)

    def select(self, index: list[int] | torch.Tensor) -> "StackedMLP":
        """The sub-stack of the nets at `index` (copies; for evaluation, not for training)."""
        index = torch.as_tensor(index, device=self.weights[0].device)
        return StackedMLP([w.detach()[index] for w in self.weights], [b.detach()[index] for b in self.biases],
                          self.standardize)


def seeded_students(seeds: list[int], d: int, width: int, depth: int, dtype, device) -> StackedMLP:
    """One student per entry of `seeds`, each initialised as the original does at the start of its trial
    (Python, NumPy and torch seeded with the trial seed, then the default Linear init on the CPU)."""
    nets = []
    cache: dict[int, list[nn.Linear]] = {}
    for seed in seeds:
        if seed not in cache:
            seed_everything(seed)
            cache[seed] = linear_stack(d, width, depth)
        nets.append(cache[seed])
    return StackedMLP.from_nets(nets, standardize=True, dtype=dtype, device=device)
