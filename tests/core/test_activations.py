import math

import pytest
import torch
from torch import nn

from relurepro.activations import ReLU6AlphaBeta, ReLUAlpha, make_activation

INPUTS = [2.0, -2.0, 0.0, -0.0, math.nan]
UPSTREAM = 3.0


def backward_values(module, inputs, upstream=UPSTREAM, dtype=torch.float32):
    x = torch.tensor(inputs, dtype=dtype, requires_grad=True)
    module(x).backward(torch.full_like(x, upstream))
    return x.grad.tolist()


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
def test_set_mode_sets_the_gradient_to_alpha_at_zero(dtype):
    # Original semantics: +x passes upstream, -x gives 0, +0.0 and -0.0 give the constant alpha, NaN passes.
    got = backward_values(ReLUAlpha(0.5, "set"), INPUTS, dtype=dtype)
    assert got[:4] == [UPSTREAM, 0.0, 0.5, 0.5]
    assert got[4] == UPSTREAM


def test_chain_mode_multiplies_the_upstream_gradient():
    got = backward_values(ReLUAlpha(0.5, "chain"), INPUTS)
    assert got[:4] == [UPSTREAM, 0.0, 1.5, 1.5]
    assert got[4] == UPSTREAM


def test_alpha_zero_matches_native_relu_backward():
    x = torch.tensor([1.0, -1.0, 0.0, -0.0, 3.0])
    assert backward_values(ReLUAlpha(0.0), x.tolist()) == backward_values(nn.ReLU(), x.tolist())


def test_forward_is_relu_and_keeps_nan():
    y = ReLUAlpha(1.0)(torch.tensor(INPUTS))
    assert y[:4].tolist() == [2.0, 0.0, 0.0, 0.0]
    assert math.isnan(y[4])


def test_relu6_kinks():
    got = backward_values(ReLU6AlphaBeta(0.25, 0.75, "set"), [3.0, -1.0, 0.0, 6.0, 7.0, -0.0])
    assert got == [UPSTREAM, 0.0, 0.25, 0.75, 0.0, 0.25]
    got = backward_values(ReLU6AlphaBeta(0.25, 0.75, "chain"), [0.0, 6.0])
    assert got == [0.75, 2.25]


def test_registry_and_bad_names():
    assert isinstance(make_activation("relu_alpha", alpha=1.0), ReLUAlpha)
    with pytest.raises(ValueError, match="unknown activation"):
        make_activation("nope")
    with pytest.raises(ValueError, match="relu_grad_mode"):
        ReLUAlpha(1.0, mode="multiply")
