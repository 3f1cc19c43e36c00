"""Residual segments as ODE discretisations (§2.1-2.3) and the chained memory-free adjoint (§2.2).

A segment of N residual functions integrates dx/dt = f(x, t) from 0 to 1 with step h = 1/N:
- Euler: N steps x <- x + h f_n(x);
- Heun: N - 1 steps x <- x + h [f_i(x) + f_{i+1}(x + h f_i(x))] / 2 (f_{i+1} is the corrector).

The adjoint keeps only the final state. Backward walks the steps in reverse: it rebuilds the previous state by one
reverse-time step (an approximate inverse; its errors accumulate along the chain, which is what the theory
bounds), recomputes that step with grad and takes its vector-Jacobian product. A module used by several steps
(tied weights, or a Heun function entering two steps) gets the sum of its shares.

Batch norm in the backward recomputations (pitfall P2, switch `bn_recompute`):
- `restore` (default): the residual functions keep their train/eval modes and their buffers (running statistics)
  are restored after backward, so a training step updates them once, as backprop does;
- `update`: the reverse steps and recomputations update running statistics too, on reconstructed states, as the
  original tiny-net code does (memcnn 1.5.2 re-runs the inverse and the forward in train mode, no buffer handling);
- `eval`: backward switches the residual functions to eval mode and leaves them there (the original resnet_ode
  package, bug B4, switch S3).
"""

from __future__ import annotations

import torch
from torch import nn

METHODS = ("euler", "heun")
BN_RECOMPUTE = ("restore", "update", "eval")


def _steps(method: str, n: int) -> list[tuple[int, ...]]:
    """The functions each step uses, in forward order."""
    if method not in METHODS:
        raise ValueError(f"unknown integrator {method!r}; choose one of {METHODS}")
    if method == "euler":
        return [(i,) for i in range(n)]
    if n < 2:
        raise ValueError("Heun needs at least 2 residual functions (depth 2 is a single step)")
    return [(i, i + 1) for i in range(n - 1)]


def step(functions, idx: tuple[int, ...], x: torch.Tensor, h: float) -> torch.Tensor:
    """One forward step with the functions at `idx` (Euler: one; Heun: predictor and corrector)."""
    if len(idx) == 1:
        return x + h * functions[idx[0]](x)
    f_i, f_next = functions[idx[0]], functions[idx[1]]
    k1 = f_i(x)
    return x + h * (k1 + f_next(x + h * k1)) / 2


def reverse_step(functions, idx: tuple[int, ...], x: torch.Tensor, h: float) -> torch.Tensor:
    """The approximate inverse of `step`: the same scheme run backwards in time from the later state."""
    if len(idx) == 1:
        return x - h * functions[idx[0]](x)
    f_i, f_next = functions[idx[0]], functions[idx[1]]
    k1 = f_next(x)
    return x - h * (k1 + f_i(x - h * k1)) / 2


def integrate(functions, x: torch.Tensor, method: str = "euler") -> torch.Tensor:
    """Plain autograd through every step (backprop: memory linear in depth)."""
    h = 1.0 / len(functions)
    for idx in _steps(method, len(functions)):
        x = step(functions, idx, x, h)
    return x


def unique_parameters(functions) -> list[nn.Parameter]:
    """Every parameter of the functions once, in first-use order (a tied module's parameters appear once)."""
    seen, params = set(), []
    for f in functions:
        for p in f.parameters():
            if id(p) not in seen:
                seen.add(id(p))
                params.append(p)
    return params


class _Adjoint(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, functions, method, local, bn_recompute, *params):
        ctx.functions, ctx.method, ctx.local, ctx.bn_recompute = functions, method, local, bn_recompute
        h = 1.0 / len(functions)
        # Chained: each state replaces the last, so only O(1) states are alive at any time and the final one is
        # the only activation kept for backward. Local: every step's exact output is kept (O(N) by design).
        outputs = []
        with torch.no_grad():
            for idx in _steps(method, len(functions)):
                x = step(functions, idx, x, h)
                if local:
                    outputs.append(x)
        ctx.save_for_backward(*(outputs if local else [x]))
        return x

    @staticmethod
    def backward(ctx, grad_out):
        saved = list(ctx.saved_tensors)
        x = saved[-1]
        functions, h = ctx.functions, 1.0 / len(ctx.functions)
        params = unique_parameters(functions)
        position = {id(p): k for k, p in enumerate(params)}
        if ctx.bn_recompute == "eval":
            for f in functions:
                f.eval()
        # Recomputing steps must not count as more training: batch-norm running statistics are restored after.
        buffers = ({id(b): (b, b.clone()) for f in functions for b in f.buffers()}
                   if ctx.bn_recompute == "restore" else {})
        grads = [None] * len(params)
        g = grad_out
        for n, idx in reversed(list(enumerate(_steps(ctx.method, len(functions))))):
            with torch.no_grad():
                x = reverse_step(functions, idx, saved[n] if ctx.local else x, h)
            step_params = unique_parameters([functions[i] for i in idx])
            with torch.enable_grad():
                leaf = x.detach().requires_grad_(True)
                y = step(functions, idx, leaf, h)
                vjp = torch.autograd.grad(y, [leaf, *step_params], g, allow_unused=True)
            g = vjp[0]
            for p, gp in zip(step_params, vjp[1:]):
                if gp is not None:
                    k = position[id(p)]
                    grads[k] = gp if grads[k] is None else grads[k] + gp
        with torch.no_grad():
            for buffer, saved in buffers.values():
                buffer.copy_(saved)
        return (g, None, None, None, None, *grads)


def integrate_adjoint(functions, x: torch.Tensor, method: str = "euler", local: bool = False,
                      bn_recompute: str = "restore") -> torch.Tensor:
    """The same integration with the chained adjoint: forward keeps only the final state.

    `local=True` is what the original's tiny-network figures compute (§2.4, switch S1): every step's exact
    output is kept and each step rebuilds its input from it by one reverse step (no accumulated error, O(N)
    memory). `bn_recompute`: see the module docstring."""
    if bn_recompute not in BN_RECOMPUTE:
        raise ValueError(f"unknown bn_recompute {bn_recompute!r}; choose one of {BN_RECOMPUTE}")
    return _Adjoint.apply(x, functions, method, local, bn_recompute, *unique_parameters(functions))


def reconstruction_error(functions, x: torch.Tensor, method: str = "euler") -> float:
    """Relative error of the input rebuilt from the final state by the reverse pass, ||x0' - x0|| / ||x0||."""
    h = 1.0 / len(functions)
    with torch.no_grad():
        y = integrate(functions, x, method)
        for idx in reversed(_steps(method, len(functions))):
            y = reverse_step(functions, idx, y, h)
        return float((y - x).norm() / x.norm())


def saved_bytes(run) -> tuple[int, torch.Tensor]:
    """(Bytes autograd keeps for backward while `run()` builds its graph, its output): counted with saved-tensor
    hooks, not process memory."""
    total = 0

    def pack(t):
        nonlocal total
        total += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = run()
    return total, out
