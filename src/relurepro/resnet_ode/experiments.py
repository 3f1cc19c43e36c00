"""Cheap resnet_ode measurements (spec 3.8, 3.9, 5.2): memory kept for backward vs depth, and the reverse
pass's reconstruction error vs depth."""

from __future__ import annotations

import torch
from torch import nn

from relurepro.resnet_ode.adjoint import integrate, integrate_adjoint, reconstruction_error, saved_bytes
from relurepro.resnet_ode.models import TinyODENet

MIB = 2 ** 20


def mlp_residuals(n: int, d: int = 500, hidden: int = 8) -> nn.ModuleList:
    """N distinct residual functions Linear(d, hidden) -> Tanh -> Linear(hidden, d) (spec 2.6e)."""
    return nn.ModuleList([nn.Sequential(nn.Linear(d, hidden), nn.Tanh(), nn.Linear(hidden, d)) for _ in range(n)])


def memory_rows(depths: list[int], d: int = 500, batch: int = 500, method: str = "euler",
                hidden: int = 8) -> list[dict]:
    """MiB autograd keeps for backward (saved-tensor hooks: deterministic, no process noise) per depth and mode."""
    rows = []
    x = torch.randn(batch, d, requires_grad=True)
    for n in depths:
        functions = mlp_residuals(n, d, hidden)
        for mode, run in (("backprop", integrate), ("adjoint", integrate_adjoint)):
            if method == "heun" and n < 2:
                continue
            nbytes, _ = saved_bytes(lambda: run(functions, x, method))
            rows.append({"depth": n, "mode": mode, "method": method, "saved_mib": nbytes / MIB})
    return rows


def reconstruction_rows(depths: list[int], x: torch.Tensor, method: str = "euler", seed: int = 0) -> list[dict]:
    """Relative error of the input rebuilt by the reverse pass, for i.i.d. random residual functions of the tiny
    net (digits stem for 1-channel images, CIFAR stem for 3-channel ones) applied after its stem, batch norm on
    batch statistics (train mode, as a training step sees it; eval mode with fresh running statistics would make
    the branches near zero and the errors ~40x smaller)."""
    rows = []
    for n in depths:
        torch.manual_seed(seed)
        stem = "digits" if x.shape[1] == 1 else "cifar"
        net = TinyODENet(n, method, stem=stem, zero_init=False).train()
        with torch.no_grad():
            h = torch.relu(net.bn(net.conv(x)))
        rows.append({"depth": n, "method": method, "error": reconstruction_error(net.residuals, h, method)})
    return rows
