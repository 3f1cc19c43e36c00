"""Symmetry breakers (§2.8, §5.2, switch `symmetry_breaker`): what, if anything, lets a ConstNet leave the
symmetric manifold where every channel of every layer is identical.

- `det`: nothing. On CPU oneDNN convolutions are not channel-symmetric on their own (measured: a 1.5e-11 channel
  difference at step 3 split the net into 2 channel groups), so this arm turns oneDNN off, runs one thread with
  deterministic algorithms, and the trainer checks bitwise symmetry after every epoch and stops loudly if it broke.
- `gpu`: CUDA with non-deterministic cuDNN kernels (benchmark on, deterministic off), the original's mechanism.
- `ulp` (emulation): after each backward every gradient element is multiplied by (1 + 2^-24 xi), xi ~ N(0, 1): one
  float32 rounding error, what re-associating a float32 sum changes.
- `reorder` (emulation): the minibatch is split into chunks whose gradients are added in float32 in an independent
  random order per element (atomicAdd / split-K re-association). Batch norm then sees each chunk's statistics, as
  with data parallelism over that many devices.
- `dropout`: p on the residual branch (the net is built with it); `random`: He init. Neither adds noise.
"""

from __future__ import annotations

import torch

from relurepro.numerics import deterministic_kernels

BREAKERS = ("det", "gpu", "ulp", "reorder", "dropout", "random")
ULP = 2.0 ** -24


def configure(breaker: str, device: torch.device) -> dict:
    """Set the numerics the arm needs; returns what was set (recorded with the run)."""
    if breaker not in BREAKERS:
        raise ValueError(f"unknown symmetry breaker {breaker!r}; choose one of {BREAKERS}")
    torch.backends.cuda.matmul.allow_tf32 = False  # float32 means float32: TF32 changes the rounding noise
    torch.backends.cudnn.allow_tf32 = False
    if breaker == "gpu":
        if device.type != "cuda":
            raise RuntimeError("symmetry_breaker 'gpu' needs CUDA: its noise is cuDNN's non-deterministic kernels")
        deterministic_kernels(False)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = False, True
        return {"cudnn_deterministic": False, "cudnn_benchmark": True}
    # Every other arm is deterministic, so that only its named mechanism can break symmetry.
    torch.backends.mkldnn.enabled = False
    torch.set_num_threads(1)
    deterministic_kernels(True)
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    return {"mkldnn": False, "threads": 1, "deterministic_algorithms": True}


def perturb_gradients(params, generator: torch.Generator) -> None:
    """The `ulp` emulation: g <- g * (1 + 2^-24 xi), xi ~ N(0, 1) per element."""
    for p in params:
        if p.grad is not None:
            xi = torch.randn(p.grad.shape, generator=generator, device=p.grad.device, dtype=p.grad.dtype)
            p.grad.mul_(1 + ULP * xi)


def reordered_sum(chunks: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Sum over dim 0 in float32, sequentially, in an independent random order for every element."""
    k = chunks.shape[0]
    flat = chunks.reshape(k, -1)
    order = torch.rand(flat.shape, generator=generator, device=flat.device).argsort(dim=0)
    shuffled = flat.gather(0, order)
    total = shuffled[0].clone()
    for i in range(1, k):
        total += shuffled[i]
    return total.reshape(chunks.shape[1:])
