"""Batch norm with a GPU's order of operations, for CPU runs that study exact zeros after batch norm.

A GPU (PyTorch's CUDA kernel, and cuDNN alike) subtracts the batch mean first: y = (x - mean) * invstd * weight +
bias. At initialisation (weight 1, bias 0) y is exactly 0 whenever x equals the batch mean, which happens at a
rate of about one unit in the last place per element: batch norm makes ReLU inputs of exactly 0 (spec relu_prime
C3). PyTorch's CPU kernel folds everything into one y = x * a + b with a = invstd * weight, b = bias - mean * a,
so y is almost never exactly 0. `GpuOrderBatchNorm` computes the GPU's formula on any device: each step rounded,
in float32 for half inputs (the GPU kernels accumulate half in float32) and in the input's precision otherwise.
Batch statistics and running-statistics updates follow nn.BatchNorm (biased variance normalises, unbiased
variance goes into running_var).
"""

from __future__ import annotations

import torch
from torch import nn


class GpuOrderBatchNorm(nn.modules.batchnorm._BatchNorm):
    """nn.BatchNorm1d/2d/3d with the output computed as (x - mean) * invstd * weight + bias."""

    def _check_input_dim(self, x: torch.Tensor) -> None:
        if x.dim() < 2:
            raise ValueError(f"expected at least 2D input (N, C, ...), got {x.dim()}D")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input_dim(x)
        acc = torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype
        dims = [0, *range(2, x.dim())]
        shape = [1, -1] + [1] * (x.dim() - 2)
        xa = x.to(acc)
        use_batch = self.training or self.running_mean is None
        if use_batch:
            mean, var = xa.mean(dims), xa.var(dims, unbiased=False)
            if self.training and self.track_running_stats:
                self._update_running(mean, var, x.numel() // x.shape[1])
        else:
            mean, var = self.running_mean.to(acc), self.running_var.to(acc)
        y = (xa - mean.view(shape)) * torch.rsqrt(var + self.eps).view(shape)
        if self.affine:
            y = y * self.weight.to(acc).view(shape) + self.bias.to(acc).view(shape)
        return y.to(x.dtype)

    @torch.no_grad()
    def _update_running(self, mean: torch.Tensor, var: torch.Tensor, n: int) -> None:
        self.num_batches_tracked += 1
        momentum = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        unbiased = var * (n / max(n - 1, 1))
        self.running_mean.lerp_(mean.to(self.running_mean.dtype), momentum)
        self.running_var.lerp_(unbiased.to(self.running_var.dtype), momentum)


def with_bn_arith(net: nn.Module, bn_arith: str) -> nn.Module:
    """`net` with every nn.BatchNorm1d/2d/3d computed in `bn_arith` order: ``native`` (the device's own kernel,
    the net unchanged) or ``gpu_order`` (replaced in place by GpuOrderBatchNorm with the same state)."""
    if bn_arith == "native":
        return net
    if bn_arith != "gpu_order":
        raise ValueError(f"unknown bn_arith {bn_arith!r}; choose native or gpu_order")
    for parent in list(net.modules()):
        for name, child in parent.named_children():
            if isinstance(child, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
                swapped = GpuOrderBatchNorm(child.num_features, child.eps, child.momentum, child.affine,
                                            child.track_running_stats)
                like = next(t for t in (*child.parameters(), *child.buffers()) if t.is_floating_point())
                swapped.to(like.device, like.dtype).load_state_dict(child.state_dict())
                setattr(parent, name, swapped.train(child.training))
    return net
