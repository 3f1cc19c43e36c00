"""ConstNet's residual block computed independently with plain torch ops, and the original's TensorBoard tags."""

import pytest
import torch
from torch.nn import functional as F

from relurepro.constnet.models import ConstNet


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


def test_original_tensorboard_tags_of_wrn_16_10():
    from relurepro.constnet.leakynet import LeakyNet
    from relurepro.constnet.tensorboard import layer_tag, original_positions

    net = ConstNet(16, 10)
    modules = dict(net.named_modules())
    pos = original_positions(net)
    tags = {name: layer_tag(k, modules[name], "forward") for name, k in pos.items()}
    # Written by hand from the original's rule: "<k>) <repr>", spaces removed, first 31 characters, then ")".
    assert tags["conv1"] == "0)Conv2d(3,16,kernel_size=(3,3))/forward"
    assert tags["fc"] == "1)Linear(in_features=640,out_fe)/forward"
    assert tags["groups.0.0.conv"] == "4)Conv2d(16,160,kernel_size=(3,)/forward"
    assert tags["groups.2.3.conv"] == "15)Conv2d(640,640,kernel_size=()/forward"
    assert tags["groups.0.0.shortcut"] == "16)Conv2d(16,160,kernel_size=(1)/forward"
    assert tags["groups.2.0.shortcut"] == "18)Conv2d(320,640,kernel_size=()/forward"
    assert sorted(pos.values()) == [0, 1, *range(4, 19)]
    # widen 1: the first group keeps 16 channels, has no shortcut, and its slot stays empty
    assert sorted(original_positions(ConstNet(7, 1)).values()) == [0, 1, 4, 5, 6, 8, 9]
    leaky = original_positions(LeakyNet(16, 10, init="h_hhhh_hhhh_hhhh"))
    assert sorted(leaky.values()) == [0, 1, *range(4, 16)] and leaky["blocks.11.conv"] == 15
