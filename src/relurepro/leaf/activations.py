"""AHAF and LEAF adaptive activation functions (§2.1-2.3), the base functions and parameter grouping.

Both AAFs hold one parameter set per neuron: every tensor has the activation's full shape without the batch
dimension (``in_dims``), e.g. (C, H, W) after a convolution; per-sample gradients are summed to that shape.
Parameters are filled from constants, so they draw no random numbers: with the same seed, base, AHAF and LEAF
networks start from identical synaptic weights.

fp16 caveat: the ReLU initialisation uses gamma = p3 = 2**16, above the fp16 maximum (65504); in fp16 it becomes
inf and u = 0 gives NaN (inf * 0). Keep AAF parameters in fp32 under mixed precision.
"""

from __future__ import annotations

import torch
from torch import nn

from relurepro.activations import ACTIVATIONS, register_activation

# init_as -> (gamma, beta), in registration order of the parameters.
AHAF_INITS = {"ReLU": (2.0**16, 1.0), "SiLU": (1.0, 1.0), "CUSTOM": (10.0, 1.0)}
# init_as -> (p1, p2, p3, p4).
LEAF_INITS = {
    "ReLU": (1.0, 0.0, 2.0**16, 0.0),
    "SiLU": (1.0, 0.0, 1.0, 0.0),
    "Tanh": (0.0, 2.0, 2.0, -1.0),  # 2*sigmoid(2u) - 1 = tanh(u)
    "Sigmoid": (0.0, 1.0, 1.0, 0.0),
    "CUSTOM": (1.0, 0.0, 10.0, 0.0),
}


def silu(x: torch.Tensor) -> torch.Tensor:
    """Hand-written SiLU, x * sigmoid(x): the same arithmetic as AHAF/LEAF-as-SiLU (torch's fused SiLU differs
    in the last bits)."""
    return x * torch.sigmoid(x)


BASE_ACTIVATIONS = {"ReLU": torch.relu, "SiLU": silu, "Tanh": torch.tanh, "Sigmoid": torch.sigmoid}


def _init_values(table: dict, init_as: str) -> tuple:
    if init_as not in table:
        # The message of the original code; the pipeline relies on AHAF rejecting Tanh/Sigmoid.
        raise ValueError(f"Invalid initialization mode [{init_as}]")
    return table[init_as]


def _grad_for(ctx, i: int, grad: torch.Tensor, like: torch.Tensor):
    """The gradient of input i summed to its (broadcast) shape, or None when it is not needed."""
    return grad.sum_to_size(like.shape) if ctx.needs_input_grad[i] else None


def ahaf_autograd(u, gamma, beta):
    """AHAF with plain autograd: beta * u * sigmoid(gamma * u)."""
    return beta * u * torch.sigmoid(gamma * u)


def leaf_autograd(u, p1, p2, p3, p4):
    """LEAF with plain autograd: (p1*u + p2) * sigmoid(p3*u) + p4."""
    return (p1 * u + p2) * torch.sigmoid(p3 * u) + p4


class AHAFFunction(torch.autograd.Function):
    """AHAF with the hand-written gradients of §2.1; sigmoid(-z) instead of 1 - sigmoid(z) keeps precision
    for large gamma*u."""

    @staticmethod
    def forward(u, gamma, beta):
        return ahaf_autograd(u, gamma, beta)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)

    @staticmethod
    def backward(ctx, grad_out):
        u, gamma, beta = ctx.saved_tensors
        z = gamma * u
        s, s_neg = torch.sigmoid(z), torch.sigmoid(-z)
        d_u = grad_out * beta * s * (1 + z * s_neg) if ctx.needs_input_grad[0] else None
        d_gamma = _grad_for(ctx, 1, grad_out * beta * u * u * s * s_neg, gamma)
        d_beta = _grad_for(ctx, 2, grad_out * u * s, beta)
        return d_u, d_gamma, d_beta


class LEAFFunction(torch.autograd.Function):
    """LEAF with the hand-written gradients of §2.2."""

    @staticmethod
    def forward(u, p1, p2, p3, p4):
        return leaf_autograd(u, p1, p2, p3, p4)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs[:4])  # p4 enters additively: only its shape is needed
        ctx.p4_shape = inputs[4].shape

    @staticmethod
    def backward(ctx, grad_out):
        u, p1, p2, p3 = ctx.saved_tensors
        z = p3 * u
        s = torch.sigmoid(z)
        lin_ds = (p1 * u + p2) * s * torch.sigmoid(-z)  # (p1u + p2) * sigma'(z)
        d_u = grad_out * (p1 * s + lin_ds * p3) if ctx.needs_input_grad[0] else None
        d_p1 = _grad_for(ctx, 1, grad_out * u * s, p1)
        d_p2 = _grad_for(ctx, 2, grad_out * s, p2)
        d_p3 = _grad_for(ctx, 3, grad_out * lin_ds * u, p3)
        d_p4 = grad_out.sum_to_size(ctx.p4_shape) if ctx.needs_input_grad[4] else None
        return d_u, d_p1, d_p2, d_p3, d_p4


def _const(in_dims, value: float) -> nn.Parameter:
    return nn.Parameter(torch.full(tuple(in_dims), float(value)))


class AHAF(nn.Module):
    """Adaptive Hybrid Activation Function y = beta * u * sigmoid(gamma * u), one (gamma, beta) per neuron.

    ``init_as`` in {"ReLU", "SiLU", "CUSTOM"}; anything else raises ValueError. ``plain_autograd`` computes the
    same function without the hand-written backward.
    """

    def __init__(self, in_dims, init_as: str = "ReLU", plain_autograd: bool = False):
        super().__init__()
        gamma, beta = _init_values(AHAF_INITS, init_as)
        self.in_dims, self.init_as, self.plain_autograd = tuple(in_dims), init_as, plain_autograd
        self.gamma = _const(in_dims, gamma)  # gamma first, then beta: code may address them by position
        self.beta = _const(in_dims, beta)

    def forward(self, u):
        fn = ahaf_autograd if self.plain_autograd else AHAFFunction.apply
        return fn(u, self.gamma, self.beta)

    def extra_repr(self):
        return f"in_dims={self.in_dims}, init_as={self.init_as}"


class LEAF(nn.Module):
    """Learnable Extended Activation Function y = (p1*u + p2) * sigmoid(p3*u) + p4, one p1..p4 per neuron.

    ``init_as`` in {"ReLU", "SiLU", "Tanh", "Sigmoid", "CUSTOM"} (table of §2.2); p2 = p4 = 0 is AHAF.
    """

    def __init__(self, in_dims, init_as: str = "ReLU", plain_autograd: bool = False):
        super().__init__()
        values = _init_values(LEAF_INITS, init_as)
        self.in_dims, self.init_as, self.plain_autograd = tuple(in_dims), init_as, plain_autograd
        self.p1, self.p2, self.p3, self.p4 = (_const(in_dims, v) for v in values)

    def forward(self, u):
        fn = leaf_autograd if self.plain_autograd else LEAFFunction.apply
        return fn(u, self.p1, self.p2, self.p3, self.p4)

    def extra_repr(self):
        return f"in_dims={self.in_dims}, init_as={self.init_as}"


class BaseActivation(nn.Module):
    """A parameter-free ("traditional") activation from BASE_ACTIVATIONS."""

    def __init__(self, name: str):
        super().__init__()
        if name not in BASE_ACTIVATIONS:
            raise ValueError(f"unknown base activation {name!r}; choose one of {sorted(BASE_ACTIVATIONS)}")
        self.name = name

    def forward(self, x):
        return BASE_ACTIVATIONS[self.name](x)

    def extra_repr(self):
        return self.name


LEAF_KINDS = ("base", "ahaf", "leaf")


def make_leaf_activation(kind: str, init_as: str, in_dims) -> nn.Module:
    """The activation of one layer: kind "base" (in_dims unused), "ahaf" or "leaf", shaped like the layer."""
    if kind == "base":
        return BaseActivation(init_as)
    if kind == "ahaf":
        return AHAF(in_dims, init_as)
    if kind == "leaf":
        return LEAF(in_dims, init_as)
    raise ValueError(f"unknown activation kind {kind!r}; choose one of {LEAF_KINDS}")


def split_parameters(model: nn.Module) -> tuple[list, list, list]:
    """(aaf, p24, other) parameter lists of `model`.

    aaf = AHAF gamma/beta and LEAF p1/p3; p24 = LEAF p2/p4 (their own slow group under P24Sl); other = the synaptic
    weights. All AAF parameters are aaf + p24 (the AAF group of the Standard procedure and optimizer A of DSPT).
    """
    aaf, p24 = [], []
    for module in model.modules():
        if isinstance(module, AHAF):
            aaf += [module.gamma, module.beta]
        elif isinstance(module, LEAF):
            aaf += [module.p1, module.p3]
            p24 += [module.p2, module.p4]
    seen = {id(p) for p in aaf + p24}
    other = [p for p in model.parameters() if id(p) not in seen]
    return aaf, p24, other


# Registry entries: make_activation("leaf", in_dims=(500,), init_as="Tanh"). Guarded so that a module reload does
# not trip the registry's duplicate check.
for _name, _cls in (("ahaf", AHAF), ("leaf", LEAF)):
    if _name not in ACTIVATIONS:
        register_activation(_name, _cls)
