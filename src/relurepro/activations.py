"""Activations with a chosen derivative at their kinks, and one registry by name.

Backward modes at an exact-zero input (+0.0 and -0.0 alike):
- ``set``:   the gradient is *set to the constant alpha*, whatever the upstream gradient (the original
             relu_prime code; with alpha != 0 it injects a loss-independent gradient).
- ``chain``: alpha times the upstream gradient (the chain rule with ReLU'(0) = alpha; an ablation).
Elsewhere both modes pass the upstream gradient where x > 0 and zero where x < 0; a NaN input passes the
upstream gradient (no comparison holds for NaN, as in the original).
"""

from __future__ import annotations

import torch
from torch import nn

GRAD_MODES = ("set", "chain")


def _kink_grad(grad_out, at_kink, value, mode):
    """The gradient at kink positions: the constant `value` (set) or `value` x upstream (chain)."""
    if mode == "set":
        return torch.where(at_kink, torch.full_like(grad_out, value), grad_out)
    return torch.where(at_kink, grad_out * value, grad_out)


class _ReLUAlphaFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, alpha, mode):
        ctx.save_for_backward(x)
        ctx.alpha, ctx.mode = alpha, mode
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        grad = grad_out.masked_fill(x < 0, 0)
        grad = _kink_grad(grad, x == 0, ctx.alpha, ctx.mode)
        return grad, None, None


class _ReLU6AlphaBetaFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, alpha, beta, mode):
        ctx.save_for_backward(x)
        ctx.alpha, ctx.beta, ctx.mode = alpha, beta, mode
        return x.clamp(min=0, max=6)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        grad = grad_out.masked_fill((x < 0) | (x > 6), 0)
        grad = _kink_grad(grad, x == 0, ctx.alpha, ctx.mode)
        grad = _kink_grad(grad, x == 6, ctx.beta, ctx.mode)
        return grad, None, None, None


def _check_mode(mode):
    if mode not in GRAD_MODES:
        raise ValueError(f"unknown relu_grad_mode {mode!r}; choose one of {GRAD_MODES}")


class ReLUAlpha(nn.Module):
    """ReLU whose derivative at 0 is alpha (see the module docstring for the two modes)."""

    def __init__(self, alpha: float = 0.0, mode: str = "set"):
        super().__init__()
        _check_mode(mode)
        self.alpha, self.mode = float(alpha), mode

    def forward(self, x):
        return _ReLUAlphaFn.apply(x, self.alpha, self.mode)

    def extra_repr(self):
        return f"alpha={self.alpha}, mode={self.mode}"


class ReLU6AlphaBeta(nn.Module):
    """ReLU6 with derivative alpha at 0 and beta at 6."""

    def __init__(self, alpha: float = 0.0, beta: float = 0.0, mode: str = "set"):
        super().__init__()
        _check_mode(mode)
        self.alpha, self.beta, self.mode = float(alpha), float(beta), mode

    def forward(self, x):
        return _ReLU6AlphaBetaFn.apply(x, self.alpha, self.beta, self.mode)

    def extra_repr(self):
        return f"alpha={self.alpha}, beta={self.beta}, mode={self.mode}"


ACTIVATIONS = {
    "relu": lambda **kw: nn.ReLU(),
    "relu_alpha": ReLUAlpha,
    "relu6": lambda **kw: nn.ReLU6(),
    "relu6_alpha_beta": ReLU6AlphaBeta,
    "leaky_relu": lambda negative_slope=0.01, **kw: nn.LeakyReLU(negative_slope),
}


def make_activation(name: str, **kwargs) -> nn.Module:
    """Build an activation by registry name, e.g. make_activation("relu_alpha", alpha=1.0)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name](**kwargs)


def register_activation(name: str, factory) -> None:
    """Add an activation (paper modules register AHAF, LEAF, ... here)."""
    if name in ACTIVATIONS:
        raise ValueError(f"activation {name!r} is already registered")
    ACTIVATIONS[name] = factory
