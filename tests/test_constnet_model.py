"""ConstNet's residual block computed independently with plain torch ops, and the original's TensorBoard tags."""

import pytest
import torch
from torch.nn import functional as F

from relurepro.constnet.model import ConstNet


def reference_block(x, bn, conv_w, stride, shortcut_w=None):
    """One pre-activation block written out: a = ReLU(BN(x)) with batch statistics; out = conv3x3(a); the
    projection shortcut, when present, reads `a` (the original's in-place ReLU overwrote BN(x) before the 1x1
    conv read it), otherwise the shortcut is x itself."""
    mean = x.mean(dim=(0, 2, 3), keepdim=True)
    var = x.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
    h = (x - mean) / torch.sqrt(var + bn.eps) * bn.weight.view(1, -1, 1, 1) + bn.bias.view(1, -1, 1, 1)
    a = torch.clamp(h, min=0)
    out = F.conv2d(a, conv_w, stride=stride, padding=1)
    skip = x if shortcut_w is None else F.conv2d(a, shortcut_w, stride=stride)
    return skip + out


@pytest.mark.parametrize("group", [0, 1, 2])
def test_block_equals_the_written_out_formula(group):
    torch.manual_seed(group)
    net = ConstNet(10, 2, 3, pool="global", init="random").train()
    with torch.no_grad():  # BN gamma/beta away from 1/0, so that a wrong ReLU placement cannot hide
        for b in net.blocks():
            b.bn.weight.uniform_(0.5, 1.5)
            b.bn.bias.uniform_(-0.5, 0.5)
    first = net.groups[group][0]
    x = torch.randn(6, first.bn.num_features, 8, 8)
    stride = first.conv.stride[0]
    want = reference_block(x, first.bn, first.conv.weight, stride, first.shortcut.weight)
    with torch.no_grad():
        got = first(x)
        assert torch.allclose(got, want, atol=1e-5), (got - want).abs().max()
        inner = net.groups[group][1]  # an identity-shortcut block
        y = torch.randn(6, inner.bn.num_features, 8 // stride, 8 // stride)
        assert torch.allclose(inner(y), reference_block(y, inner.bn, inner.conv.weight, 1), atol=1e-5)
